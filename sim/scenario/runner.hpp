// Runs sessions (scenario × protocol) on N worker threads. Results come back in plan order,
// so reports do not depend on -j or on which session finished first.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "scenario/model.hpp"
#include "scenario/run_context.hpp"
#include "scoring/verdict.hpp"

namespace otasim::scenario {

struct PlannedSession {
  const ScenarioSpec* scenario = nullptr;
  std::string protocol;
  std::string tag;  // "s<position in the full plan, from 1>": stable under -j and sharding
};

// Every applicable (scenario, protocol) pair, scenarios in the given order, then protocols.
std::vector<PlannedSession> PlanSessions(const std::vector<ScenarioSpec>& scenarios,
                                         const std::vector<std::string>& protocols);

struct Progress {
  std::size_t done = 0;
  std::size_t total = 0;
  std::vector<std::string> running;  // "id@protocol"
  const scoring::ScenarioResult* finished = nullptr;  // set when a session just ended
};
using ProgressFn = std::function<void(const Progress&)>;

// Once `cancel` becomes true no new session starts (running ones finish, bounded by their
// deadlines); the sessions that never started are reported as skipped.
std::vector<scoring::ScenarioResult> RunSessions(const RunContext& run,
                                                 const std::vector<PlannedSession>& plan, int jobs,
                                                 const ProgressFn& progress,
                                                 const std::atomic<bool>* cancel = nullptr);

}  // namespace otasim::scenario
