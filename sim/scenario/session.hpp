// One isolated session: a scenario on one protocol against a fresh device. It owns the keys,
// releases, server model, attackers and device of the session, runs the steps and judges them.
#pragma once

#include <string>

#include "scenario/model.hpp"
#include "scenario/run_context.hpp"
#include "scoring/verdict.hpp"

namespace otasim::scenario {

// Never throws and never returns without a verdict: infrastructure problems become `error`.
// `tag` names the session uniquely within the run ("s3"): it keeps MQTT topics apart.
scoring::ScenarioResult RunSession(const RunContext& run, const ScenarioSpec& spec,
                                   const std::string& protocol, const std::string& tag);

// Where a session's evidence goes, relative to the output directory.
std::string EvidenceDir(const ScenarioSpec& spec, const std::string& protocol);

}  // namespace otasim::scenario
