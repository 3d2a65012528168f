#include "scenario/scenario_trust.hpp"

#include <algorithm>
#include <set>

#include "otasim/root_document.hpp"

namespace otasim::scenario {
namespace {

// Every key name a scenario uses, besides vendor and rogue.
std::set<std::string> NamedKeys(const ScenarioSpec& spec) {
  std::set<std::string> names;
  for (const auto& [name, release] : spec.releases) names.insert(release.signer);
  for (const auto& [name, root] : spec.roots) {
    names.insert(root.keys.begin(), root.keys.end());
    names.insert(root.signers.begin(), root.signers.end());
  }
  names.erase("vendor");
  names.erase("rogue");
  return names;
}

}  // namespace

Result<ScenarioTrust> BuildScenarioTrust(const ScenarioSpec& spec, const crypto::PrivateKey& vendor,
                                         const crypto::PrivateKey& rogue, SysTime session_start) {
  ScenarioTrust trust;
  for (const auto& name : NamedKeys(spec)) {
    OTASIM_TRY(auto key, crypto::PrivateKey::Generate(crypto::KeyAlg::kEd25519));
    trust.keys.emplace(name, std::move(key));
  }
  auto key = [&](const std::string& name) -> const crypto::PrivateKey& {
    if (name == "vendor") return vendor;
    if (name == "rogue") return rogue;
    return trust.keys.at(name);
  };
  if (spec.trust != "root") return trust;

  // The key names of each version, to find a rotation's default signers.
  std::map<std::uint64_t, std::vector<std::string>> keys_of_version = {{1, {"vendor"}}};
  for (const auto& [name, root] : spec.roots) keys_of_version[root.version] = root.keys;

  auto sign = [&](std::uint64_t version, const std::vector<std::string>& key_names,
                  std::uint64_t threshold, const std::string& expires_offset,
                  const std::vector<std::string>& signer_names) -> Result<std::string> {
    OTASIM_TRY(auto expires, ParseOffset(expires_offset));
    manifest::Root root;
    root.version = version;
    root.expires = FormatRfc3339(session_start + expires);
    root.threshold = threshold;
    for (const auto& name : key_names) root.keys.push_back(manifest::MakeRootKey(key(name).Public()));
    std::vector<crypto::PrivateKey> signers;
    for (const auto& name : signer_names) signers.push_back(key(name));
    return manifest::SignRoot(root, signers);
  };

  OTASIM_TRY(trust.provisioned_root, sign(1, {"vendor"}, 1, "+365d", {"vendor"}));
  for (const auto& [name, root] : spec.roots) {
    std::vector<std::string> signers = root.signers;
    if (signers.empty()) {
      auto previous = keys_of_version.find(root.version - 1);
      if (previous == keys_of_version.end()) {
        return MakeError(Errc::kInvalidArgument,
                         "roots." + name + ": no root v" + std::to_string(root.version - 1) +
                             " to take its signers from; list `signers`");
      }
      signers = previous->second;
      for (const auto& own : root.keys) {
        if (std::find(signers.begin(), signers.end(), own) == signers.end()) signers.push_back(own);
      }
    }
    OTASIM_TRY(trust.roots[name], sign(root.version, root.keys, root.threshold, root.expires, signers));
  }
  return trust;
}

}  // namespace otasim::scenario
