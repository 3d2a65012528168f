// `provision`: the factory set-up. Wipes the device's storage, installs the root of trust
// (trust anchors), the identity and class, and the initial firmware into slot A.
#pragma once

#include "device_config.hpp"
#include "device_state.hpp"
#include "flaws.hpp"

namespace otasim::device {

int RunProvision(const StateDir& dir, const DeviceConfig& config, const Flaws& flaws);

}  // namespace otasim::device
