// Builds a scenario's releases for one session: deterministic pseudo-random images (streamed
// to disk, hashed on the way) and their signed manifests.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

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
  // Further vendor keys by name ("vendor-2") and signed root documents by name, for key
  // rotation (scenario_trust.hpp); nullptr when the scenario has none.
  const std::map<std::string, crypto::PrivateKey>* named = nullptr;
  const std::map<std::string, std::string>* roots = nullptr;
};

// The bytes a release image starts with when its spec says `self_test: fail`: the reference
// device's boot self-test fails on them (a simulation hook, targets/PROTOCOL.md "Boot and
// self-test").
inline constexpr std::string_view kSelfTestFailMarker = "OTASIM-SELF-TEST:FAIL\n";

Result<Release> BuildRelease(const ReleaseSpec& spec, const std::filesystem::path& dir,
                             std::uint64_t seed, SysTime session_start, const ReleaseKeys& keys);

// Writes `size` bytes of a seeded pseudo-random stream to `path`, the first of them replaced by
// `prefix` (cut to `size`); returns their SHA-256 hex.
Result<std::string> WritePseudoRandomFile(const std::filesystem::path& path, std::uint64_t size,
                                          std::uint64_t seed, std::string_view prefix = {});

}  // namespace otasim::scenario
