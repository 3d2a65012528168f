// Runs the real `otasim` binary of this build for a test, and reads its report.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace otasim::testing {

struct OtasimRun {
  int exit_code = -1;
  std::string output;        // stdout and stderr
  nlohmann::json report;     // report.json, or null when none was written
  std::string out_dir;
};

// `args` follow `otasim run`; `name` names the output directory under the test's work dir.
// The run is bounded (10 minutes) and killed if it hangs.
OtasimRun RunOtasim(const std::vector<std::string>& args, const std::string& name);
// Any otasim subcommand; returns exit code and output.
OtasimRun RunOtasimCommand(const std::vector<std::string>& args, int timeout_seconds = 120);

}  // namespace otasim::testing
