#define BOOST_TEST_MODULE outcome_rules
#include <boost/test/unit_test.hpp>
// How a template profile's rules turn a client's log, final report and exit code into a check
// outcome: first match wins, evidence names what matched, nothing matched is the default.

#include <string>
#include <vector>

#include "target/outcome_rules.hpp"

using namespace otasim;
using namespace otasim::target;

namespace {

OutcomeRule Log(const std::string& pattern, std::string outcome, std::string reason = "") {
  OutcomeRule rule;
  rule.source = OutcomeRule::Source::kLog;
  rule.pattern = pattern;
  rule.regex = std::make_shared<const std::regex>(pattern, std::regex::ECMAScript);
  rule.outcome = std::move(outcome);
  rule.reason = std::move(reason);
  return rule;
}

OutcomeRule Report(const std::string& pattern, std::string outcome, std::string reason = "") {
  OutcomeRule rule = Log(pattern, std::move(outcome), std::move(reason));
  rule.source = OutcomeRule::Source::kReport;
  return rule;
}

OutcomeRule Exit(int code, std::string outcome, std::string reason = "") {
  OutcomeRule rule;
  rule.source = OutcomeRule::Source::kExit;
  rule.exit_code = code;
  rule.outcome = std::move(outcome);
  rule.reason = std::move(reason);
  return rule;
}

const std::vector<OutcomeRule> kRules = {
    Log("Signature verification failed|signature", "rejected", "signature"),
    Report("failure", "rejected", "digest"),
    Exit(0, "installed"),
    Exit(1, "failed", "network"),
};

StatusReport FinalReport(const std::string& result, nlohmann::json raw) {
  StatusReport report;
  report.result = result;
  report.raw = std::move(raw);
  return report;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(outcome_rules_tests)

BOOST_AUTO_TEST_CASE(a_log_line_decides_before_the_exit_code) {
  CheckEvidence seen{"[INFO] downloading\n[ERROR] Signature verification failed\n[INFO] bye\n",
                     std::nullopt, 1};
  auto d = DecideOutcome(kRules, "error", seen);
  BOOST_TEST(d.outcome == "rejected");
  BOOST_TEST(d.reason == "signature");
  BOOST_TEST(d.evidence == "log: [ERROR] Signature verification failed");
}

BOOST_AUTO_TEST_CASE(the_final_report_is_matched_with_its_raw_text) {
  CheckEvidence seen{"all fine\n",
                     FinalReport("closed", {{"status", {{"result", {{"finished", "failure"}}}}}}), 0};
  auto d = DecideOutcome(kRules, "error", seen);
  BOOST_TEST(d.outcome == "rejected");
  BOOST_TEST(d.reason == "digest");
  BOOST_TEST(d.evidence.rfind("report: closed {", 0) == 0u, d.evidence);
}

BOOST_AUTO_TEST_CASE(exit_codes_decide_when_nothing_else_matches) {
  BOOST_TEST(DecideOutcome(kRules, "error", {"ok\n", std::nullopt, 0}).outcome == "installed");
  auto d = DecideOutcome(kRules, "error", {"ok\n", std::nullopt, 1});
  BOOST_TEST(d.outcome == "failed");
  BOOST_TEST(d.reason == "network");
  BOOST_TEST(d.evidence == "exit 1");
}

BOOST_AUTO_TEST_CASE(nothing_matched_is_the_default_never_a_pass) {
  auto d = DecideOutcome(kRules, "error", {"ok\n", std::nullopt, 7});
  BOOST_TEST(d.outcome == "error");
  BOOST_TEST(d.reason.empty());
  BOOST_TEST(d.evidence == "no outcome rule matched (exit 7, no final report)");
  d = DecideOutcome(kRules, "error", {"", std::nullopt, std::nullopt});
  BOOST_TEST(d.evidence == "no outcome rule matched (no exit code, no final report)");
}

BOOST_AUTO_TEST_CASE(anchors_work_per_line_and_evidence_is_trimmed) {
  const std::vector<OutcomeRule> rules = {Log("^rejected: (digest|size)$", "rejected", "digest")};
  BOOST_TEST(DecideOutcome(rules, "error", {"x rejected: digest\n", std::nullopt, 0}).outcome == "error");
  BOOST_TEST(DecideOutcome(rules, "error", {"a\nrejected: size\nb", std::nullopt, 0}).outcome == "rejected");
  const std::vector<OutcomeRule> any = {Log("X", "failed")};
  auto d = DecideOutcome(any, "error", {"   " + std::string(500, 'X') + "\n", std::nullopt, 0});
  BOOST_TEST(d.evidence.size() == std::string("log: ").size() + 200u);
  BOOST_TEST(d.evidence.substr(d.evidence.size() - 3) == "...");
}

BOOST_AUTO_TEST_CASE(progress_reports_are_not_final) {
  BOOST_TEST(!IsFinalReport(FinalReport("proceeding", nullptr)));
  BOOST_TEST(!IsFinalReport(FinalReport("", nullptr)));
  BOOST_TEST(IsFinalReport(FinalReport("installed", nullptr)));
  BOOST_TEST(IsFinalReport(FinalReport("failed", nullptr)));
}

BOOST_AUTO_TEST_SUITE_END()
