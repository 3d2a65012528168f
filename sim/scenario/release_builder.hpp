// Builds a scenario's releases for one session: deterministic pseudo-random images (streamed
// to disk, hashed on the way) and their signed manifests.
#pragma once

#include <filesystem>

#include "otasim/crypto.hpp"
#include "otasim/session.hpp"
#include "otasim/time.hpp"
#include "scenario/model.hpp"

namespace otasim::scenario {

inline constexpr const char* kVendorId = "otasim-vendor";
inline constexpr const char* kClassId = "otasim-class-a";

struct ReleaseKeys {
  const crypto::PrivateKey* vendor = nullptr;
  const crypto::PrivateKey* rogue = nullptr;
};

Result<Release> BuildRelease(const ReleaseSpec& spec, const std::filesystem::path& dir,
                             std::uint64_t seed, SysTime session_start, const ReleaseKeys& keys);

// Writes `size` bytes of a seeded pseudo-random stream to `path`; returns their SHA-256 hex.
Result<std::string> WritePseudoRandomFile(const std::filesystem::path& path, std::uint64_t size,
                                          std::uint64_t seed);

}  // namespace otasim::scenario
