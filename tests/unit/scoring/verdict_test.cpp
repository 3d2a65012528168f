#define BOOST_TEST_MODULE scoring_verdict
#include <boost/test/unit_test.hpp>

#include "scoring/verdict.hpp"

using namespace otasim::scoring;

namespace {

CheckResult Check(std::string name, std::string expected, std::string observed, bool ok) {
  return CheckResult{std::move(name), std::move(expected), std::move(observed), "state", ok};
}

StepResult Step(int index, std::string name, bool control, std::vector<CheckResult> checks,
                std::string error = "") {
  StepResult step;
  step.index = index;
  step.name = std::move(name);
  step.control = control;
  step.action = "check";
  step.checks = std::move(checks);
  step.error = std::move(error);
  return step;
}

}  // namespace

BOOST_AUTO_TEST_CASE(verdict_names_round_trip) {
  for (Verdict verdict : {Verdict::kPass, Verdict::kFail, Verdict::kError, Verdict::kSkip,
                          Verdict::kXfail, Verdict::kXpass}) {
    auto parsed = ParseVerdict(VerdictName(verdict));
    BOOST_REQUIRE(parsed.ok());
    BOOST_TEST((*parsed == verdict));
  }
  BOOST_TEST(VerdictName(Verdict::kXpass) == "xpass");
  auto bad = ParseVerdict("passed");
  BOOST_REQUIRE(!bad.ok());
  BOOST_TEST(bad.error().message().find("'passed'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(all_checks_ok_is_pass_with_empty_reason) {
  std::string reason = "stale";
  Verdict verdict = DecideScenario(
      {Step(1, "install v2", true, {Check("outcome", "installed", "installed", true)}),
       Step(2, "serve v1", false, {Check("outcome", "rejected", "rejected", true)})},
      &reason);
  BOOST_TEST((verdict == Verdict::kPass));
  BOOST_TEST(reason.empty());
}

BOOST_AUTO_TEST_CASE(failed_attack_check_is_fail_naming_first_failed_check) {
  std::string reason;
  Verdict verdict = DecideScenario(
      {Step(1, "install v2", true, {Check("outcome", "installed", "installed", true)}),
       Step(2, "serve v1", false,
            {Check("outcome", "rejected", "installed", false),
             Check("running", "v2 (2.0.0)", "v1 (1.0.0)", false)})},
      &reason);
  BOOST_TEST((verdict == Verdict::kFail));
  BOOST_TEST(reason == "step 2 (serve v1): outcome expected rejected, observed installed");
}

BOOST_AUTO_TEST_CASE(failed_control_step_is_error_never_pass) {
  // A device that rejects everything: the attack step "passes", the control step does not.
  std::string reason;
  Verdict verdict = DecideScenario(
      {Step(1, "install v2", true, {Check("outcome", "installed", "rejected", false)}),
       Step(2, "serve v1", false, {Check("outcome", "rejected", "rejected", true)})},
      &reason);
  BOOST_TEST((verdict == Verdict::kError));
  BOOST_TEST(reason ==
             "control step 1 (install v2) failed: outcome expected installed, observed rejected "
             "\u2014 the device did not update legitimately");
}

BOOST_AUTO_TEST_CASE(control_failure_outranks_attack_failure) {
  std::string reason;
  Verdict verdict = DecideScenario(
      {Step(1, "serve v1", false, {Check("outcome", "rejected", "installed", false)}),
       Step(2, "install v3", true, {Check("outcome", "installed", "rejected", false)})},
      &reason);
  BOOST_TEST((verdict == Verdict::kError));
  BOOST_TEST(reason.rfind("control step 2 (install v3) failed", 0) == 0);
}

BOOST_AUTO_TEST_CASE(harness_error_is_error_and_outranks_everything) {
  std::string reason;
  Verdict verdict = DecideScenario(
      {Step(1, "install v2", true, {Check("outcome", "installed", "rejected", false)}),
       Step(2, "serve v1", false, {}, "target adapter timed out after 30 s")},
      &reason);
  BOOST_TEST((verdict == Verdict::kError));
  BOOST_TEST(reason == "step 2 (serve v1): target adapter timed out after 30 s");
}

BOOST_AUTO_TEST_CASE(no_steps_is_error_and_null_reason_is_allowed) {
  std::string reason;
  BOOST_TEST((DecideScenario({}, &reason) == Verdict::kError));
  BOOST_TEST(!reason.empty());
  BOOST_TEST((DecideScenario({Step(1, "x", true, {Check("a", "b", "b", true)})}, nullptr) ==
              Verdict::kPass));
}
