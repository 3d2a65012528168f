// Verdicts: what each step, scenario and requirement came to, with the evidence behind it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "otasim/result.hpp"

namespace otasim::scoring {

enum class Verdict { kPass, kFail, kError, kSkip, kXfail, kXpass };
std::string_view VerdictName(Verdict verdict) noexcept;  // "pass", "fail", ...
Result<Verdict> ParseVerdict(std::string_view name);

// One expectation of a step, as checked.
struct CheckResult {
  std::string name;      // "outcome", "running", "bootable", "reason", "image_bytes_sent", ...
  std::string expected;  // human-readable: "rejected", "<= 2097152", "v1 (1.0.0)"
  std::string observed;
  std::string channel;   // where the observation came from: "verb", "state", "server", "proxy"
  bool ok = false;
};

struct StepResult {
  int index = 0;
  std::string name;
  bool control = false;   // a legitimate step that must succeed
  std::string action;     // "check", "boot", "state", "power-cycle", "run-for"
  std::vector<std::string> attacks;  // plugin ids active in the step
  std::vector<CheckResult> checks;
  std::string error;      // harness error, if the step could not be carried out
  std::int64_t duration_ms = 0;
};

struct ScenarioResult {
  std::string id;
  std::string title;
  std::string protocol;
  Verdict verdict = Verdict::kError;
  std::string reason;  // one line: why this verdict ("step 2: outcome expected rejected, observed installed")
  std::vector<std::string> requirements;
  std::vector<StepResult> steps;
  std::int64_t duration_ms = 0;
  std::string evidence_dir;  // relative to the run's output dir: "evidence/rollback/signed-older@http"
};

// The verdict of a scenario from its steps: a failed control step or a harness error is
// `error`; a failed check of an attack step is `fail`; otherwise `pass`.
Verdict DecideScenario(const std::vector<StepResult>& steps, std::string* reason);

}  // namespace otasim::scoring
