// The options of a run against a device on the network: --listen, --keys, --remote-reset,
// --remote-bundle (targets/PROTOCOL.md, "Remote devices").
#pragma once

#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "otasim/result.hpp"
#include "scenario/run_context.hpp"
#include "target/profile.hpp"

namespace otasim::cli {

// Checks the options against each other, the profile and the protocols, loads the keys, and
// sets them in `run`. An error is bad usage (its message says what to change).
Status ApplyRemoteOptions(const RunOptions& options, const target::TargetProfile& profile,
                          const std::vector<std::string>& protocols, scenario::RunContext& run);

}  // namespace otasim::cli
