#include "scenario/release_builder.hpp"

#include <array>
#include <fstream>

#include "otasim/files.hpp"

namespace otasim::scenario {

namespace {

// splitmix64: tiny, fast and good enough to make image bytes that do not compress.
std::uint64_t NextRandom(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

Result<std::string> WritePseudoRandomFile(const std::filesystem::path& path, std::uint64_t size,
                                          std::uint64_t seed, std::string_view prefix) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return MakeError(Errc::kIo, "cannot create " + path.string());
  crypto::Sha256 hash;
  std::array<std::uint8_t, 64 * 1024> chunk{};
  std::uint64_t state = seed;
  std::uint64_t left = size;
  while (left > 0) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, chunk.size()));
    for (std::size_t i = 0; i < n; i += 8) {
      const std::uint64_t r = NextRandom(state);
      for (std::size_t b = 0; b < 8 && i + b < n; ++b) chunk[i + b] = static_cast<std::uint8_t>(r >> (8 * b));
    }
    const std::uint64_t written = size - left;
    for (std::size_t i = 0; i < n && written + i < prefix.size(); ++i) {
      chunk[i] = static_cast<std::uint8_t>(prefix[static_cast<std::size_t>(written) + i]);
    }
    out.write(reinterpret_cast<const char*>(chunk.data()), static_cast<std::streamsize>(n));
    hash.Update({chunk.data(), n});
    left -= n;
  }
  out.close();
  if (!out) return MakeError(Errc::kIo, "writing " + path.string() + " failed");
  const auto digest = hash.Final();
  return crypto::HexEncode(digest);
}

Result<Release> BuildRelease(const ReleaseSpec& spec, const std::filesystem::path& dir,
                             std::uint64_t seed, SysTime session_start, const ReleaseKeys& keys) {
  Release release;
  release.name = spec.name;
  release.image_file = spec.name + ".bin";
  release.image_path = dir / release.image_file;
  OTASIM_TRY(std::string digest,
             WritePseudoRandomFile(release.image_path, spec.size, seed,
                                   spec.self_test_fails ? kSelfTestFailMarker : std::string_view{}));
  OTASIM_TRY(auto issued, ParseOffset(spec.issued));
  OTASIM_TRY(auto expires, ParseOffset(spec.expires));
  manifest::Manifest& m = release.manifest;
  m.vendor_id = spec.vendor_id.empty() ? kVendorId : spec.vendor_id;
  m.class_id = spec.class_id.empty() ? kClassId : spec.class_id;
  m.version = spec.version;
  m.sequence = spec.sequence;
  m.image = {digest, spec.size, "images/" + release.image_file};
  m.issued = FormatRfc3339(session_start + issued);
  m.expires = FormatRfc3339(session_start + expires);
  const crypto::PrivateKey* signer = spec.signer == "rogue"    ? keys.rogue
                                      : spec.signer == "vendor" ? keys.vendor
                                                                : nullptr;
  if (signer == nullptr && keys.named != nullptr) {
    if (auto it = keys.named->find(spec.signer); it != keys.named->end()) signer = &it->second;
  }
  if (signer == nullptr) return MakeError(Errc::kInternal, "no signing key for " + spec.signer);
  OTASIM_TRY(manifest::Envelope envelope, manifest::Sign(m, std::span(signer, 1)));
  for (const auto& root : spec.root_updates) {
    if (keys.roots == nullptr || !keys.roots->count(root)) {
      return MakeError(Errc::kInternal, "release " + spec.name + ": no root document '" + root + "'");
    }
    envelope.root_updates.push_back(keys.roots->at(root));
  }
  release.envelope = manifest::ToJson(envelope);
  OTASIM_CHECK(WriteFileAtomic(dir / (spec.name + ".manifest.json"), release.envelope));
  return release;
}

}  // namespace otasim::scenario
