// The contract's `state` for a client that has no such verb: which release runs is read from
// the digest of the file the client installs into, the rest from what the adapter saw.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "otasim/result.hpp"
#include "otasim/session.hpp"

namespace otasim::target {

// The SHA-256 of the file (streamed), or nullopt when it does not exist.
Result<std::optional<std::string>> InstalledDigest(const std::filesystem::path& file);

// The release whose image has this digest, or nullptr.
const Release* ReleaseWithDigest(const std::map<std::string, Release>& releases,
                                 const std::optional<std::string>& digest);

struct AdapterObservation {
  const Release* running = nullptr;
  std::optional<std::string> digest;  // of the installed file, as it is now
  std::uint64_t installs = 0;         // times the digest changed since provisioning
  std::string last_result = "none";
  std::string last_reason = "none";
};

// {"running": {"version", "sequence"} (absent when no release matches), "bootable", "installs", "last_result",
//  "last_reason", "installed_digest", "observed_by": "adapter"}
nlohmann::json SynthesizeState(const AdapterObservation& seen);

}  // namespace otasim::target
