#include "scenario/runner.hpp"

#include <algorithm>
#include <mutex>
#include <thread>

#include "scenario/session.hpp"

namespace otasim::scenario {

std::vector<PlannedSession> PlanSessions(const std::vector<ScenarioSpec>& scenarios,
                                         const std::vector<std::string>& protocols) {
  std::vector<PlannedSession> plan;
  for (const auto& scenario : scenarios) {
    for (const auto& protocol : protocols) {
      if (scenario.AppliesTo(protocol)) {
        plan.push_back({&scenario, protocol, "s" + std::to_string(plan.size() + 1)});
      }
    }
  }
  return plan;
}

std::vector<scoring::ScenarioResult> RunSessions(const RunContext& run,
                                                 const std::vector<PlannedSession>& plan, int jobs,
                                                 const ProgressFn& progress,
                                                 const std::atomic<bool>* cancel) {
  std::vector<scoring::ScenarioResult> results(plan.size());
  std::mutex mutex;
  std::size_t next = 0;
  Progress state;
  state.total = plan.size();

  auto worker = [&] {
    while (true) {
      std::size_t index;
      std::string name;
      {
        std::lock_guard lock(mutex);
        if (next >= plan.size()) return;
        index = next++;
        if (cancel != nullptr && cancel->load()) {
          auto& skipped = results[index];
          skipped.id = plan[index].scenario->id;
          skipped.title = plan[index].scenario->title;
          skipped.protocol = plan[index].protocol;
          skipped.requirements = plan[index].scenario->requirements;
          skipped.verdict = scoring::Verdict::kSkip;
          skipped.reason = "the run was interrupted before this session started";
          continue;
        }
        name = plan[index].scenario->id + "@" + plan[index].protocol;
        state.running.push_back(name);
        state.finished = nullptr;
        if (progress) progress(state);
      }
      scoring::ScenarioResult result = RunSession(run, *plan[index].scenario, plan[index].protocol,
                                                   plan[index].tag);
      std::lock_guard lock(mutex);
      results[index] = std::move(result);
      state.running.erase(std::find(state.running.begin(), state.running.end(), name));
      ++state.done;
      state.finished = &results[index];
      if (progress) progress(state);
    }
  };
  const int threads = std::max(1, std::min<int>(jobs, static_cast<int>(plan.size())));
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  return results;
}

}  // namespace otasim::scenario
