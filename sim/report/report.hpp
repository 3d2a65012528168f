// Machine-readable run reports: report.json (DESIGN §11) and junit.xml.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "otasim/result.hpp"
#include "report/run_manifest.hpp"
#include "scoring/grading.hpp"
#include "scoring/verdict.hpp"

namespace otasim::report {

struct RunInfo {
  std::string otasim_version;
  std::string suite;      // suite name
  std::string target;     // target profile name
  nlohmann::json target_params = nlohmann::json::object();
  std::string grading_profile;
  std::vector<std::string> protocols;
  std::uint64_t seed = 0;
  int jobs = 1;
  std::string started;    // RFC 3339
  std::int64_t duration_ms = 0;
  std::vector<std::string> command_line;
  std::optional<ReproduceRecord> reproduce;  // written as report.json's `reproduce` object
};

struct RunReport {
  RunInfo info;
  std::vector<scoring::ScenarioResult> scenarios;
  std::vector<scoring::RequirementVerdict> requirements;
  scoring::GradeResult grade;
  const scoring::Catalogue* catalogue = nullptr;  // for titles, pillars and mappings
};

nlohmann::json ToJson(const RunReport& report);
std::string ToJunitXml(const RunReport& report);
// Writes report.json, junit.xml and report.html into dir (report.html embeds timelines from
// dir/evidence, so write the evidence first).
Status WriteReports(const RunReport& report, const std::filesystem::path& dir);

}  // namespace otasim::report
