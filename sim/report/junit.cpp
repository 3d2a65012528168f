// junit.xml: one <testsuite> per protocol, one <testcase> per scenario, so that CI systems
// (GitLab, Jenkins, ...) show each scenario×protocol as a test with its reason and checks.
#include <algorithm>
#include <cstdio>
#include <map>

#include "report/report.hpp"
#include "report/text.hpp"

namespace otasim::report {
namespace {

using scoring::ScenarioResult;
using scoring::Verdict;

std::string Attr(std::string_view text) { return XmlEscapeAttribute(text); }

std::string Seconds(std::int64_t ms) {
  if (ms < 0) ms = 0;
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%lld.%03lld", static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000));
  return buffer;
}

std::string ProtocolOf(const ScenarioResult& scenario) {
  return scenario.protocol.empty() ? "none" : scenario.protocol;
}

// "downgrade/signed-older" on http -> "otasim.http.downgrade": CI tools group by class name,
// so scenarios of one threat folder end up together under their protocol.
std::string ClassName(const ScenarioResult& scenario) {
  std::string name = "otasim." + ProtocolOf(scenario);
  std::size_t slash = scenario.id.rfind('/');
  if (slash != std::string::npos) {
    std::string folder = scenario.id.substr(0, slash);
    std::replace(folder.begin(), folder.end(), '/', '.');
    name += "." + folder;
  }
  return name;
}

struct Counts {
  int tests = 0, failures = 0, errors = 0, skipped = 0;
  std::int64_t ms = 0;

  void Add(const ScenarioResult& scenario) {
    ++tests;
    ms += std::max<std::int64_t>(scenario.duration_ms, 0);
    switch (scenario.verdict) {
      case Verdict::kFail:
      case Verdict::kXpass: ++failures; break;
      case Verdict::kError: ++errors; break;
      case Verdict::kSkip:
      case Verdict::kXfail: ++skipped; break;
      case Verdict::kPass: break;
    }
  }

  std::string Attributes() const {
    return " tests=\"" + std::to_string(tests) + "\" failures=\"" + std::to_string(failures) +
           "\" errors=\"" + std::to_string(errors) + "\" skipped=\"" + std::to_string(skipped) +
           "\" time=\"" + Seconds(ms) + "\"";
  }
};

std::string Join(const std::vector<std::string>& items, std::string_view empty) {
  if (items.empty()) return std::string(empty);
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// The human-readable trace CI shows next to the test: every step and every check.
std::string StepsText(const ScenarioResult& scenario) {
  std::string text = "verdict: " + std::string(scoring::VerdictName(scenario.verdict));
  if (!scenario.reason.empty()) text += " - " + scenario.reason;
  text += "\nrequirements: " + Join(scenario.requirements, "none");
  if (!scenario.evidence_dir.empty()) text += "\nevidence: " + scenario.evidence_dir;
  text += "\n";
  for (const scoring::StepResult& step : scenario.steps) {
    text += "step " + std::to_string(step.index);
    if (!step.name.empty()) text += " (" + step.name + ")";
    text += step.control ? " [control]" : " [attack]";
    if (!step.action.empty()) text += " action: " + step.action;
    text += "; attacks: " + Join(step.attacks, "none");
    text += "; " + std::to_string(step.duration_ms) + " ms\n";
    for (const scoring::CheckResult& check : step.checks) {
      text += check.ok ? "  ok    " : "  FAIL  ";
      text += check.name + ": expected " + check.expected + ", observed " + check.observed;
      if (!check.channel.empty()) text += " (" + check.channel + ")";
      text += "\n";
    }
    if (!step.error.empty()) text += "  ERROR " + step.error + "\n";
  }
  return text;
}

// The element that marks a test as not passed, if any.
std::string OutcomeElement(const ScenarioResult& scenario) {
  const std::string& reason = scenario.reason;
  auto with_reason = [&](std::string_view prefix) {
    return std::string(prefix) + (reason.empty() ? "" : ": " + reason);
  };
  switch (scenario.verdict) {
    case Verdict::kPass: return "";
    case Verdict::kFail:
      return "      <failure type=\"fail\" message=\"" + Attr(reason) + "\">" +
             XmlEscapeText(reason) + "</failure>\n";
    case Verdict::kXpass: {
      std::string message = with_reason("unexpected pass of a scenario marked xfail");
      return "      <failure type=\"xpass\" message=\"" + Attr(message) + "\">" +
             XmlEscapeText(message) + "</failure>\n";
    }
    case Verdict::kError:
      return "      <error type=\"error\" message=\"" + Attr(reason) + "\">" +
             XmlEscapeText(reason) + "</error>\n";
    case Verdict::kSkip:
      return "      <skipped message=\"" + Attr(reason) + "\"/>\n";
    case Verdict::kXfail:
      return "      <skipped message=\"" + Attr(with_reason("expected failure")) + "\"/>\n";
  }
  return "";
}

std::string Property(std::string_view name, std::string_view value) {
  return "      <property name=\"" + Attr(name) + "\" value=\"" + Attr(value) + "\"/>\n";
}

}  // namespace

std::string ToJunitXml(const RunReport& report) {
  // Protocols in the order the run asked for them, then any others in order of appearance.
  std::vector<std::string> protocols;
  auto add_protocol = [&](const std::string& protocol) {
    if (std::find(protocols.begin(), protocols.end(), protocol) == protocols.end()) {
      protocols.push_back(protocol);
    }
  };
  std::map<std::string, Counts> counts;
  Counts total;
  for (const ScenarioResult& scenario : report.scenarios) {
    counts[ProtocolOf(scenario)].Add(scenario);
    total.Add(scenario);
  }
  for (const std::string& protocol : report.info.protocols) {
    if (counts.contains(protocol)) add_protocol(protocol);
  }
  for (const ScenarioResult& scenario : report.scenarios) add_protocol(ProtocolOf(scenario));

  const RunInfo& info = report.info;
  std::string properties = "    <properties>\n";
  properties += Property("otasim_version", info.otasim_version);
  properties += Property("suite", info.suite);
  properties += Property("target", info.target);
  properties += Property("grading_profile", info.grading_profile);
  properties += Property("grade", report.grade.grade);
  properties += Property("seed", std::to_string(info.seed));
  properties += Property("started", info.started);
  properties += "    </properties>\n";

  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  std::string run_name = "otasim" + (info.suite.empty() ? "" : " " + info.suite);
  xml += "<testsuites name=\"" + Attr(run_name) + "\"" + total.Attributes() + ">\n";
  for (const std::string& protocol : protocols) {
    xml += "  <testsuite name=\"" + Attr("otasim." + protocol) + "\"" +
           counts[protocol].Attributes() + ">\n";
    xml += properties;
    for (const ScenarioResult& scenario : report.scenarios) {
      if (ProtocolOf(scenario) != protocol) continue;
      xml += "    <testcase name=\"" + Attr(scenario.id) + "\" classname=\"" +
             Attr(ClassName(scenario)) + "\" time=\"" + Seconds(scenario.duration_ms) + "\">\n";
      xml += OutcomeElement(scenario);
      xml += "      <system-out>" + XmlEscapeText(StepsText(scenario)) + "</system-out>\n";
      xml += "    </testcase>\n";
    }
    xml += "  </testsuite>\n";
  }
  xml += "</testsuites>\n";
  return xml;
}

}  // namespace otasim::report
