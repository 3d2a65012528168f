#include "report/report_reader.hpp"

#include "otasim/files.hpp"

namespace otasim::report {
namespace {

using nlohmann::json;

// Reports of large campaigns are big, but not unboundedly so.
constexpr std::uint64_t kMaxReportBytes = 256u << 20;

scoring::StepResult StepFromJson(const json& j) {
  scoring::StepResult step;
  step.index = j.at("index").get<int>();
  step.name = j.at("name").get<std::string>();
  step.control = j.at("control").get<bool>();
  step.action = j.at("action").get<std::string>();
  step.attacks = j.at("attacks").get<std::vector<std::string>>();
  step.error = j.at("error").get<std::string>();
  step.duration_ms = j.at("duration_ms").get<std::int64_t>();
  for (const json& c : j.at("checks")) {
    step.checks.push_back({c.at("name").get<std::string>(), c.at("expected").get<std::string>(),
                           c.at("observed").get<std::string>(), c.at("channel").get<std::string>(),
                           c.at("ok").get<bool>()});
  }
  return step;
}

}  // namespace

Result<std::vector<scoring::ScenarioResult>> ScenariosFromJson(const nlohmann::json& scenarios,
                                                               const std::string& where) {
  std::vector<scoring::ScenarioResult> results;
  if (!scenarios.is_array()) return MakeError(Errc::kParse, where + ": scenarios is not an array");
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    const std::string at = where + ": scenarios[" + std::to_string(i) + "]";
    try {
      const json& j = scenarios[i];
      scoring::ScenarioResult result;
      result.id = j.at("id").get<std::string>();
      result.title = j.at("title").get<std::string>();
      result.protocol = j.at("protocol").get<std::string>();
      auto verdict = scoring::ParseVerdict(j.at("verdict").get<std::string>());
      if (!verdict) return verdict.error().WithContext(at + ".verdict");
      result.verdict = *verdict;
      result.reason = j.at("reason").get<std::string>();
      result.requirements = j.at("requirements").get<std::vector<std::string>>();
      result.duration_ms = j.at("duration_ms").get<std::int64_t>();
      result.evidence_dir = j.at("evidence").get<std::string>();
      for (const json& step : j.at("steps")) result.steps.push_back(StepFromJson(step));
      results.push_back(std::move(result));
    } catch (const json::exception& e) {
      return MakeError(Errc::kParse, at + ": " + e.what());
    }
  }
  return results;
}

Result<LoadedReport> ReadReport(const std::filesystem::path& dir) {
  const auto path = dir / "report.json";
  const std::string where = path.string();
  OTASIM_TRY(std::string text, ReadFile(path, kMaxReportBytes));
  LoadedReport loaded;
  loaded.json = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (loaded.json.is_discarded() || !loaded.json.is_object()) {
    return MakeError(Errc::kParse, where + ": not a JSON object");
  }
  if (!loaded.json.contains("reproduce")) {
    return MakeError(Errc::kParse, where + ": has no `reproduce` record (written by an older otasim?)");
  }
  OTASIM_TRY(loaded.info.reproduce, ReproduceFromJson(loaded.json.at("reproduce"), where));
  try {
    RunInfo& info = loaded.info;
    info.otasim_version = loaded.json.at("otasim_version").get<std::string>();
    info.suite = loaded.json.at("suite").get<std::string>();
    info.target = loaded.json.at("target").get<std::string>();
    info.target_params = loaded.json.at("target_params");
    info.grading_profile = loaded.json.at("grading_profile").get<std::string>();
    info.protocols = loaded.json.at("protocols").get<std::vector<std::string>>();
    info.seed = loaded.json.at("seed").get<std::uint64_t>();
    info.jobs = loaded.json.at("jobs").get<int>();
    info.started = loaded.json.at("started").get<std::string>();
    info.duration_ms = loaded.json.at("duration_ms").get<std::int64_t>();
    info.command_line = loaded.json.at("command_line").get<std::vector<std::string>>();
  } catch (const json::exception& e) {
    return MakeError(Errc::kParse, where + ": " + e.what());
  }
  OTASIM_TRY(loaded.scenarios, ScenariosFromJson(loaded.json.value("scenarios", json()), where));
  return loaded;
}

}  // namespace otasim::report
