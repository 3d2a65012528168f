// The keys and root documents of a scenario's root of trust (`trust`, `roots` in the scenario):
// the extra vendor keys it names, root v1 (the one the device is provisioned with under
// `trust: root`) and every rotation, signed as the scenario says.
#pragma once

#include <map>
#include <string>

#include "otasim/crypto.hpp"
#include "otasim/time.hpp"
#include "scenario/model.hpp"

namespace otasim::scenario {

struct ScenarioTrust {
  std::map<std::string, crypto::PrivateKey> keys;  // "vendor-2", ... (fresh per session)
  std::map<std::string, std::string> roots;         // root name -> signed root document
  std::string provisioned_root;                     // root v1; empty under `trust: keys`
};

// `vendor` and `rogue` are the session's own keys; every other key a release or root names is
// generated here (Ed25519). Root v1 lists `vendor` alone and is signed by it; a rotation is
// signed by its `signers`, by default the keys of the version before it and its own keys.
Result<ScenarioTrust> BuildScenarioTrust(const ScenarioSpec& spec, const crypto::PrivateKey& vendor,
                                         const crypto::PrivateKey& rogue, SysTime session_start);

}  // namespace otasim::scenario
