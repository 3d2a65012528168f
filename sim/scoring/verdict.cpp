#include "scoring/verdict.hpp"

namespace otasim::scoring {
namespace {

std::string StepLabel(const StepResult& step) {
  std::string label = "step " + std::to_string(step.index);
  if (!step.name.empty()) label += " (" + step.name + ")";
  return label;
}

const CheckResult* FirstFailedCheck(const StepResult& step) {
  for (const CheckResult& check : step.checks) {
    if (!check.ok) return &check;
  }
  return nullptr;
}

std::string DescribeCheck(const CheckResult& check) {
  return check.name + " expected " + check.expected + ", observed " + check.observed;
}

Verdict Decide(Verdict verdict, std::string text, std::string* reason) {
  if (reason != nullptr) *reason = std::move(text);
  return verdict;
}

}  // namespace

std::string_view VerdictName(Verdict verdict) noexcept {
  switch (verdict) {
    case Verdict::kPass: return "pass";
    case Verdict::kFail: return "fail";
    case Verdict::kError: return "error";
    case Verdict::kSkip: return "skip";
    case Verdict::kXfail: return "xfail";
    case Verdict::kXpass: return "xpass";
  }
  return "error";
}

Result<Verdict> ParseVerdict(std::string_view name) {
  for (Verdict verdict : {Verdict::kPass, Verdict::kFail, Verdict::kError, Verdict::kSkip,
                          Verdict::kXfail, Verdict::kXpass}) {
    if (VerdictName(verdict) == name) return verdict;
  }
  return MakeError(Errc::kParse, "unknown verdict '" + std::string(name) +
                                     "' (expected pass, fail, error, skip, xfail or xpass)");
}

// Precedence matters: a harness error means we do not know what the device did; a failed
// control step means the device never updated legitimately, so a "rejection" in an attack
// step proves nothing (a device that rejects everything must not pass). Only when both are
// clean does a failed attack check count as a finding.
Verdict DecideScenario(const std::vector<StepResult>& steps, std::string* reason) {
  if (steps.empty()) return Decide(Verdict::kError, "no step was run", reason);

  for (const StepResult& step : steps) {
    if (!step.error.empty()) {
      return Decide(Verdict::kError, StepLabel(step) + ": " + step.error, reason);
    }
  }
  for (const StepResult& step : steps) {
    if (!step.control) continue;
    if (const CheckResult* check = FirstFailedCheck(step)) {
      return Decide(Verdict::kError,
                    "control " + StepLabel(step) + " failed: " + DescribeCheck(*check) +
                        " \u2014 the device did not update legitimately",
                    reason);
    }
  }
  for (const StepResult& step : steps) {
    if (step.control) continue;
    if (const CheckResult* check = FirstFailedCheck(step)) {
      return Decide(Verdict::kFail, StepLabel(step) + ": " + DescribeCheck(*check), reason);
    }
  }
  return Decide(Verdict::kPass, "", reason);
}

}  // namespace otasim::scoring
