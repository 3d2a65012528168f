// otasim-bench-verify IMAGE [REPEATS]: times the reference device's image verification on IMAGE.
//
// It runs the same SDK calls, in the same order, as the device's boot-time slot check
// (targets/reference/boot.cpp, InspectSlot): crypto::Sha256FileHex streams the image through
// crypto::Sha256 in 64 KiB reads, then manifest::ParseEnvelope + manifest::Verify check the
// signed manifest against the trust anchor, then the digest and size are compared. The manifest
// is built and signed (Ed25519, the device's default) before the clock starts.
//
// Prints one JSON object: {"bytes": N, "seconds": best, "bytes_per_second": N / best, ...}.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "otasim/crypto.hpp"
#include "otasim/manifest.hpp"

namespace {

int Fail(const std::string& what) {
  std::fprintf(stderr, "otasim-bench-verify: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace otasim;
  if (argc < 2 || argc > 3) return Fail("usage: otasim-bench-verify IMAGE [REPEATS]");
  const std::filesystem::path image = argv[1];
  const int repeats = argc == 3 ? std::atoi(argv[2]) : 1;
  if (repeats < 1) return Fail("REPEATS must be at least 1");

  std::error_code ec;
  const std::uint64_t size = std::filesystem::file_size(image, ec);
  if (ec) return Fail("cannot stat " + image.string() + ": " + ec.message());

  // Untimed set-up: sign a manifest for the image, as the vendor would.
  auto key = crypto::PrivateKey::Generate(crypto::KeyAlg::kEd25519);
  if (!key) return Fail(key.error().message());
  auto digest = crypto::Sha256FileHex(image);  // also warms the page cache
  if (!digest) return Fail(digest.error().message());
  manifest::Manifest m;
  m.vendor_id = "otasim-vendor";
  m.class_id = "otasim-class-a";
  m.version = "2.0.0";
  m.sequence = 2;
  m.image = {*digest, size, "images/v2.bin"};
  m.issued = "2026-01-01T00:00:00Z";
  m.expires = "2036-01-01T00:00:00Z";
  const std::vector<crypto::PrivateKey> signers{*key};
  auto envelope = manifest::Sign(m, signers);
  if (!envelope) return Fail(envelope.error().message());
  const std::string envelope_json = manifest::ToJson(*envelope);
  const std::vector<crypto::PublicKey> anchors{key->Public()};

  double best = 0;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    // --- the device's path (boot.cpp InspectSlot) ---
    auto hashed = crypto::Sha256FileHex(image);
    if (!hashed) return Fail(hashed.error().message());
    auto parsed = manifest::ParseEnvelope(envelope_json);
    if (!parsed) return Fail("envelope: " + parsed.error().detail);
    auto verified = manifest::Verify(parsed.value(), anchors);
    if (!verified) return Fail("signature: " + verified.error().detail);
    if (verified.value().image.size != size || verified.value().image.digest != *hashed) {
      return Fail("digest mismatch");
    }
    // ---
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (i == 0 || seconds < best) best = seconds;
  }
  std::printf(
      "{\"path\": \"crypto::Sha256FileHex (64 KiB reads) + manifest::ParseEnvelope + "
      "manifest::Verify (ed25519), as boot.cpp InspectSlot\", \"bytes\": %llu, \"repeats\": %d, "
      "\"seconds\": %.6f, \"bytes_per_second\": %.0f}\n",
      static_cast<unsigned long long>(size), repeats, best, static_cast<double>(size) / best);
  return 0;
}
