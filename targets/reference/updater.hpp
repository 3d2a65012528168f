// The update cycle of `check` (and of each poll of `run`): fetch the manifest, verify it, download
// and verify the image, install into the inactive slot, switch the boot slot, report the outcome.
#pragma once

#include <filesystem>

#include "device_config.hpp"
#include "device_state.hpp"
#include "flaws.hpp"
#include "power_cut.hpp"

namespace otasim::device {

// Returns the contract's exit code: 0 installed, 10 no update, 20 rejected, 30 failed.
int RunCheck(const StateDir& dir, const DeviceConfig& config, const Flaws& flaws,
             const PowerCut& cut);

// One cycle every limits.poll_interval_ms until SIGTERM or SIGINT (then exit 0). The config file
// is read again before every cycle, because otasim may change it (the clock) between cycles.
int RunDaemon(const StateDir& dir, const std::filesystem::path& config_path, const Flaws& flaws,
              const PowerCut& cut);

}  // namespace otasim::device
