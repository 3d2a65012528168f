#include "target/state_synthesis.hpp"

#include "otasim/crypto.hpp"

namespace otasim::target {

Result<std::optional<std::string>> InstalledDigest(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return std::optional<std::string>{};
  OTASIM_TRY(std::string digest, crypto::Sha256FileHex(file));
  return std::optional<std::string>{digest};
}

const Release* ReleaseWithDigest(const std::map<std::string, Release>& releases,
                                 const std::optional<std::string>& digest) {
  if (!digest) return nullptr;
  for (const auto& [name, release] : releases) {
    if (release.manifest.image.digest == *digest) return &release;
  }
  return nullptr;
}

nlohmann::json SynthesizeState(const AdapterObservation& seen) {
  nlohmann::json state = {
          {"bootable", seen.running != nullptr},
          {"installs", seen.installs},
          {"last_result", seen.last_result},
          {"last_reason", seen.last_reason},
          {"installed_digest", seen.digest ? nlohmann::json(*seen.digest) : nlohmann::json(nullptr)},
          {"observed_by", "adapter"}};
  if (seen.running != nullptr) {
    state["running"] = {{"version", seen.running->manifest.version},
                        {"sequence", seen.running->manifest.sequence}};
  }
  return state;
}

}  // namespace otasim::target
