// The provisioning bundle of a device on the network (`otasim run --listen`): what otasim
// would have handed a local device before a scenario, as files someone (the --remote-reset
// command, or a person) can carry to the device.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

#include "otasim/result.hpp"

namespace otasim::scenario {

// Copies every file the device configuration names (TLS files, trust anchors, the initial
// release's manifest and image, a PSK or broker password file) into `dir`, and writes
// `dir`/config.json naming the copies. The copy has no "now": a device on the network runs on
// its own clock. Returns the bundle's configuration.
Result<nlohmann::json> WriteRemoteBundle(const nlohmann::json& config, const std::filesystem::path& dir);

}  // namespace otasim::scenario
