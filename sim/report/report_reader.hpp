// Reading a report.json back (for `otasim merge` and `otasim run --rerun`).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "otasim/result.hpp"
#include "report/report.hpp"

namespace otasim::report {

struct LoadedReport {
  nlohmann::json json;    // the whole document
  RunInfo info;           // info.reproduce is set: a report without it cannot be merged or rerun
  std::vector<scoring::ScenarioResult> scenarios;
};

// Reads DIR/report.json; errors name the file and the field.
Result<LoadedReport> ReadReport(const std::filesystem::path& dir);

// The inverse of the `scenarios` array of ToJson.
Result<std::vector<scoring::ScenarioResult>> ScenariosFromJson(const nlohmann::json& scenarios,
                                                               const std::string& where);

}  // namespace otasim::report
