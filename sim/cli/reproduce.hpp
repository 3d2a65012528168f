// `otasim run`'s reproducibility record: building it from what the run loaded, and turning a
// recorded one back into run options for `--rerun`.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "plugin_host/registry.hpp"
#include "report/run_manifest.hpp"
#include "scenario/model.hpp"
#include "scenario/runner.hpp"
#include "target/profile.hpp"

namespace otasim::cli {

struct RunInputs {
  const DataDirs* dirs = nullptr;
  const plugin_host::Registry* registry = nullptr;
  const target::TargetProfile* profile = nullptr;
  nlohmann::json target_params = nlohmann::json::object();
  const scenario::SuiteSpec* suite = nullptr;
  std::filesystem::path grading_profile_file;
  std::string grading_profile_name;
  const std::vector<scenario::ScenarioSpec>* scenarios = nullptr;
  std::vector<std::string> protocols;  // as chosen: --protocol or the target's
  const std::vector<scenario::PlannedSession>* plan = nullptr;  // the full plan
};

Result<report::ReproduceRecord> BuildReproduceRecord(const CommonOptions& common,
                                                     const RunOptions& options,
                                                     const RunInputs& inputs);

// The options that repeat the run recorded in dir/report.json. Keeps from `options` only what
// does not change verdicts (--out, --sign-key, -j if given, --keep-work, the broker) and the
// remote-device options if given anew (--listen, --keys, --remote-reset, --remote-bundle); the
// output defaults to "<dir>-rerun".
Result<std::pair<CommonOptions, RunOptions>> RerunOptions(const CommonOptions& common,
                                                          const RunOptions& options,
                                                          report::ReproduceRecord* recorded);

}  // namespace otasim::cli
