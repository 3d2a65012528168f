// Checking a step's expectations against what was observed: the verb's outcome, the device's
// state before and after, and the server's records of the step.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "otasim/session.hpp"
#include "scenario/model.hpp"
#include "scoring/verdict.hpp"

namespace otasim::scenario {

struct StepObservation {
  Outcome outcome = Outcome::kError;
  std::string outcome_detail;  // "exit 20", "killed by signal 9", ...
  nlohmann::json state_before;
  nlohmann::json state_after;
  std::vector<Exchange> exchanges;    // this step's
  std::vector<StatusReport> reports;  // this step's
  std::string device_identity;        // the credential the device was given (cert CN, PSK identity)
};

std::vector<scoring::CheckResult> EvaluateExpectations(
    const Expectations& expect, const StepObservation& seen,
    const std::map<std::string, Release>& releases);

}  // namespace otasim::scenario
