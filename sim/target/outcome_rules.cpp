#include "target/outcome_rules.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace otasim::target {

namespace {

constexpr std::size_t kEvidenceChars = 200;

std::string Trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\r' || text.back() == '\n')) {
    text.remove_suffix(1);
  }
  if (text.size() <= kEvidenceChars) return std::string(text);
  return std::string(text.substr(0, kEvidenceChars - 3)) + "...";
}

// The first line of `log` the rule's pattern finds something in.
std::optional<std::string> MatchingLine(const std::regex& regex, const std::string& log) {
  std::size_t start = 0;
  while (start < log.size()) {
    std::size_t end = log.find('\n', start);
    if (end == std::string::npos) end = log.size();
    const auto first = log.begin() + static_cast<std::ptrdiff_t>(start);
    const auto last = log.begin() + static_cast<std::ptrdiff_t>(end);
    if (std::regex_search(first, last, regex)) return std::string(first, last);
    start = end + 1;
  }
  return std::nullopt;
}

}  // namespace

bool IsFinalReport(const StatusReport& report) {
  constexpr std::array<std::string_view, 7> kProgress = {
      "", "none", "proceeding", "pending", "scheduled", "downloading", "running"};
  return std::find(kProgress.begin(), kProgress.end(), report.result) == kProgress.end();
}

std::string ReportText(const StatusReport& report) {
  return report.result + " " + (report.raw.is_null() ? std::string() : report.raw.dump());
}

OutcomeDecision DecideOutcome(const std::vector<OutcomeRule>& rules, const std::string& fallback,
                              const CheckEvidence& evidence) {
  for (const auto& rule : rules) {
    std::optional<std::string> matched;
    switch (rule.source) {
      case OutcomeRule::Source::kLog:
        if (auto line = MatchingLine(*rule.regex, evidence.log)) matched = "log: " + Trimmed(*line);
        break;
      case OutcomeRule::Source::kReport:
        if (evidence.final_report) {
          const std::string text = ReportText(*evidence.final_report);
          if (std::regex_search(text, *rule.regex)) matched = "report: " + Trimmed(text);
        }
        break;
      case OutcomeRule::Source::kExit:
        if (evidence.exit_code && *evidence.exit_code == rule.exit_code) {
          matched = "exit " + std::to_string(rule.exit_code);
        }
        break;
    }
    if (matched) return {rule.outcome, rule.reason, *matched};
  }
  std::string why = "no outcome rule matched (";
  why += evidence.exit_code ? "exit " + std::to_string(*evidence.exit_code) : "no exit code";
  why += evidence.final_report ? ", final report " + evidence.final_report->result : ", no final report";
  return {fallback, "", why + ")"};
}

}  // namespace otasim::target
