// report.json: the complete machine-readable record of a run (DESIGN §11).
#include <exception>
#include <system_error>

#include "otasim/files.hpp"
#include "report/html_report.hpp"
#include "report/report.hpp"
#include "report/text.hpp"

namespace otasim::report {
namespace {

using nlohmann::json;
using scoring::Verdict;

// Bumped when a field changes meaning or disappears; adding fields does not bump it.
constexpr int kReportFormat = 1;

// nlohmann::json throws on invalid UTF-8 when dumping; device output can contain anything.
std::string Text(std::string_view text) { return ToValidUtf8(text); }

json TextList(const std::vector<std::string>& items) {
  json list = json::array();
  for (const std::string& item : items) list.push_back(Text(item));
  return list;
}

json StepJson(const scoring::StepResult& step) {
  json checks = json::array();
  for (const scoring::CheckResult& check : step.checks) {
    checks.push_back({{"name", Text(check.name)},
                      {"expected", Text(check.expected)},
                      {"observed", Text(check.observed)},
                      {"channel", Text(check.channel)},
                      {"ok", check.ok}});
  }
  return {{"index", step.index},
          {"name", Text(step.name)},
          {"control", step.control},
          {"action", Text(step.action)},
          {"attacks", TextList(step.attacks)},
          {"error", Text(step.error)},
          {"duration_ms", step.duration_ms},
          {"checks", std::move(checks)}};
}

json ScenarioJson(const scoring::ScenarioResult& scenario) {
  json steps = json::array();
  for (const scoring::StepResult& step : scenario.steps) steps.push_back(StepJson(step));
  return {{"id", Text(scenario.id)},
          {"title", Text(scenario.title)},
          {"protocol", Text(scenario.protocol)},
          {"verdict", scoring::VerdictName(scenario.verdict)},
          {"reason", Text(scenario.reason)},
          {"requirements", TextList(scenario.requirements)},
          {"duration_ms", scenario.duration_ms},
          {"evidence", Text(scenario.evidence_dir)},
          {"steps", std::move(steps)}};
}

json RequirementJson(const scoring::RequirementVerdict& verdict,
                     const scoring::Catalogue* catalogue) {
  json entry = {{"id", Text(verdict.id)},
                {"verdict", scoring::RequirementStateName(verdict.state)},
                {"scenarios", TextList(verdict.scenarios)}};
  const scoring::Requirement* requirement =
      catalogue != nullptr ? catalogue->Find(verdict.id) : nullptr;
  // Without a catalogue entry the fields stay present (empty) so consumers need no special case.
  entry["pillar"] = requirement != nullptr ? Text(requirement->pillar) : "";
  entry["title"] = requirement != nullptr ? Text(requirement->title) : "";
  entry["statement"] = requirement != nullptr ? Text(requirement->statement) : "";
  entry["mappings"] = requirement != nullptr ? TextList(requirement->mappings) : json::array();
  entry["assessment"] = requirement != nullptr ? Text(requirement->assessment) : "test";
  return entry;
}

json SummaryJson(const std::vector<scoring::ScenarioResult>& scenarios) {
  json summary = json::object();
  for (Verdict verdict : {Verdict::kPass, Verdict::kFail, Verdict::kError, Verdict::kSkip,
                          Verdict::kXfail, Verdict::kXpass}) {
    summary[std::string(scoring::VerdictName(verdict))] = 0;
  }
  for (const scoring::ScenarioResult& scenario : scenarios) {
    auto& count = summary[std::string(scoring::VerdictName(scenario.verdict))];
    count = count.get<int>() + 1;
  }
  summary["total"] = scenarios.size();
  return summary;
}

}  // namespace

nlohmann::json ToJson(const RunReport& report) {
  const RunInfo& info = report.info;
  json out = json::object();
  out["report_format"] = kReportFormat;
  out["otasim_version"] = Text(info.otasim_version);
  out["suite"] = Text(info.suite);
  out["target"] = Text(info.target);
  out["target_params"] = info.target_params;
  out["grading_profile"] = Text(info.grading_profile);
  out["protocols"] = TextList(info.protocols);
  out["seed"] = info.seed;
  out["jobs"] = info.jobs;
  out["started"] = Text(info.started);
  out["duration_ms"] = info.duration_ms;
  out["command_line"] = TextList(info.command_line);
  if (info.reproduce) out["reproduce"] = ToJson(*info.reproduce);
  out["grade"] = {{"level", Text(report.grade.grade)},
                  {"next_level", Text(report.grade.next_level)},
                  {"blocking", TextList(report.grade.blocking)}};

  json scenarios = json::array();
  for (const scoring::ScenarioResult& scenario : report.scenarios) {
    scenarios.push_back(ScenarioJson(scenario));
  }
  out["scenarios"] = std::move(scenarios);

  json requirements = json::array();
  for (const scoring::RequirementVerdict& verdict : report.requirements) {
    requirements.push_back(RequirementJson(verdict, report.catalogue));
  }
  out["requirements"] = std::move(requirements);

  // What the run could not show: the assessor must ask the manufacturer for evidence.
  json documentary = json::array();
  if (report.catalogue != nullptr) {
    for (const scoring::Requirement& requirement : report.catalogue->requirements) {
      if (requirement.assessment != "documentary") continue;
      documentary.push_back({{"id", Text(requirement.id)},
                             {"pillar", Text(requirement.pillar)},
                             {"title", Text(requirement.title)},
                             {"statement", Text(requirement.statement)},
                             {"mappings", TextList(requirement.mappings)}});
    }
  }
  out["documentary"] = std::move(documentary);
  out["summary"] = SummaryJson(report.scenarios);
  return out;
}

Status WriteReports(const RunReport& report, const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error(Errc::kIo, "creating report directory " + dir.string() + ": " + ec.message());
  std::string json_text;
  std::string junit_text;
  std::string html_text;
  try {
    // target_params comes from the caller unfiltered, so replace rather than throw on bad UTF-8.
    json_text = ToJson(report).dump(2, ' ', false, json::error_handler_t::replace) + "\n";
    junit_text = ToJunitXml(report);
    // The page embeds the start of each session's timeline from the evidence already in dir.
    html_text = RenderHtmlReport(report, dir);
  } catch (const std::exception& e) {
    return Error(Errc::kInternal, std::string("rendering reports: ") + e.what());
  }
  OTASIM_CHECK(WriteFileAtomic(dir / "report.json", json_text));
  OTASIM_CHECK(WriteFileAtomic(dir / "junit.xml", junit_text));
  OTASIM_CHECK(WriteFileAtomic(dir / "report.html", html_text));
  return {};
}

}  // namespace otasim::report
