// Deciding a check's outcome for a client that does not speak the contract's exit codes: the
// profile's rules, over its log, the final status report it sent, and its exit code.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "otasim/session.hpp"
#include "target/profile.hpp"

namespace otasim::target {

struct CheckEvidence {
  std::string log;                          // stdout + stderr of the check's commands
  std::optional<StatusReport> final_report;  // the last report with a final result
  std::optional<int> exit_code;             // of the last command; unset when it did not exit
};

struct OutcomeDecision {
  std::string outcome;   // installed, no-update, rejected, failed, error
  std::string reason;    // "" when the rule names none
  std::string evidence;  // what decided: "log: <line>", "report: ...", "exit 0", or why none did
};

// The first rule that matches decides; none: the profile's default (error unless it says).
OutcomeDecision DecideOutcome(const std::vector<OutcomeRule>& rules,
                              const std::string& fallback, const CheckEvidence& evidence);

// Whether a status report ends an update (installed, rejected, failed, ...), as opposed to a
// progress note ("proceeding", "downloading").
bool IsFinalReport(const StatusReport& report);

// The text a `report` rule matches: the result, then the raw report as JSON.
std::string ReportText(const StatusReport& report);

}  // namespace otasim::target
