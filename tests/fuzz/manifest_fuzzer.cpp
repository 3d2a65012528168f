// Fuzzes the envelope and manifest parsers with bytes off the network (sim/manifest): parse
// the envelope, then its signed bytes as a manifest, and round-trip what parsed.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "otasim/manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace otasim::manifest;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  // The same bytes as a bare manifest: devices never see one, but ParseManifest must still
  // refuse garbage cleanly.
  if (auto manifest = ParseManifest(text)) {
    // What parsed must serialise and parse again to the same manifest.
    auto again = ParseManifest(ToJson(manifest.value()));
    if (!again || ToJson(again.value()) != ToJson(manifest.value())) __builtin_trap();
  }

  auto envelope = ParseEnvelope(text);
  if (!envelope) return 0;
  (void)ParseManifest(envelope.value().signed_bytes);
  auto again = ParseEnvelope(ToJson(envelope.value()));
  if (!again || again.value().signed_bytes != envelope.value().signed_bytes) __builtin_trap();
  // No trusted key: every envelope must be refused, whatever its signatures claim.
  if (ParseAndVerify(text, {})) __builtin_trap();
  return 0;
}
