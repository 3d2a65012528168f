#define BOOST_TEST_MODULE report_merge
#include <boost/test/unit_test.hpp>

// Combining shard reports: full-plan order, evidence copied, and every way shards can fail to
// be one run refused with a message naming the shard.

#include <filesystem>

#include "report/merge.hpp"
#include "report/report_reader.hpp"
#include "support/temp_dir.hpp"

using namespace otasim;
using namespace otasim::scoring;
namespace fs = std::filesystem;
using otasim::testing::Slurp;
using otasim::testing::TempDir;

namespace {

const std::vector<std::string> kPlan = {"rollback/signed-older@http", "tamper/image-bit-flip@http",
                                        "tamper/short-image@http"};

ScenarioResult Session(const std::string& session, Verdict verdict) {
  ScenarioResult r;
  const auto at = session.find('@');
  r.id = session.substr(0, at);
  r.protocol = session.substr(at + 1);
  r.title = "title of " + r.id;
  r.verdict = verdict;
  r.reason = verdict == Verdict::kFail ? "step 2: outcome expected rejected, observed installed" : "";
  r.requirements = {"AUT-2"};
  r.duration_ms = 42;
  r.evidence_dir = "evidence/" + session;
  StepResult step;
  step.index = 1;
  step.name = "legit";
  step.control = true;
  step.action = "check";
  step.attacks = {"attack.tamper"};
  step.checks.push_back({"outcome", "installed", "installed", "verb", true});
  r.steps.push_back(step);
  return r;
}

report::ReproduceRecord Record(int index, int count) {
  report::ReproduceRecord r;
  r.otasim_version = "0.1.0";
  r.seed = 1;
  r.protocols = {"http"};
  r.target = {"reference", "/t.yaml", std::string(64, 't')};
  r.suite = {"standard", "/s.yaml", std::string(64, 's')};
  for (const auto& session : kPlan) {
    r.scenarios.push_back({session.substr(0, session.find('@')), "/x.yaml", std::string(64, '1')});
  }
  r.plan = kPlan;
  r.shard = {index, count};
  return r;
}

// Writes a shard's report.json with the sessions of its slice, and one evidence file each.
fs::path WriteShard(const TempDir& tmp, report::ReproduceRecord record,
                    const std::vector<std::size_t>& positions, const std::string& started) {
  const fs::path dir = tmp.path() / ("shard" + std::to_string(record.shard.index));
  report::RunReport run;
  run.info.otasim_version = "0.1.0";
  run.info.suite = "standard";
  run.info.target = "reference";
  run.info.started = started;
  run.info.duration_ms = 1000 * record.shard.index;
  run.info.reproduce = std::move(record);
  for (std::size_t k : positions) {
    run.scenarios.push_back(Session(kPlan[k], k == 1 ? Verdict::kFail : Verdict::kPass));
    tmp.Write(fs::relative(dir, tmp.path()) / run.scenarios.back().evidence_dir / "timeline.json",
              "[\"" + kPlan[k] + "\"]");
  }
  BOOST_REQUIRE(report::WriteReports(run, dir).ok());
  return dir;
}

std::string Message(const Result<report::MergedRun>& merged) {
  return merged.ok() ? std::string("(merged)") : merged.error().message();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(report_merge)

BOOST_AUTO_TEST_CASE(report_json_scenarios_read_back_as_written) {
  TempDir tmp("otasim-merge");
  const fs::path dir = WriteShard(tmp, Record(1, 1), {0, 1, 2}, "2026-01-01T00:00:00Z");
  auto loaded = report::ReadReport(dir);
  BOOST_REQUIRE_MESSAGE(loaded.ok(), (loaded.ok() ? std::string() : loaded.error().message()));
  BOOST_REQUIRE(loaded->scenarios.size() == 3u);
  report::RunReport again;
  again.info = loaded->info;
  again.scenarios = loaded->scenarios;
  BOOST_TEST(report::ToJson(again).at("scenarios") == loaded->json.at("scenarios"));
  BOOST_TEST(loaded->info.reproduce->plan == kPlan);
}

BOOST_AUTO_TEST_CASE(shards_merge_in_full_plan_order_with_their_evidence) {
  TempDir tmp("otasim-merge");
  // Round robin: positions 0 and 2 in shard 1, position 1 in shard 2. Given in any order.
  const fs::path two = WriteShard(tmp, Record(2, 2), {1}, "2026-01-01T00:00:05Z");
  const fs::path one = WriteShard(tmp, Record(1, 2), {0, 2}, "2026-01-01T00:00:00Z");
  auto merged = report::CombineShards({two, one});
  BOOST_REQUIRE_MESSAGE(merged.ok(), Message(merged));
  BOOST_REQUIRE(merged->scenarios.size() == 3u);
  for (std::size_t k = 0; k < kPlan.size(); ++k) {
    BOOST_TEST(merged->scenarios[k].id + "@" + merged->scenarios[k].protocol == kPlan[k]);
  }
  BOOST_TEST((merged->scenarios[1].verdict == Verdict::kFail));
  BOOST_TEST(merged->info.reproduce->shard.count == 1);
  BOOST_TEST(merged->info.started == "2026-01-01T00:00:00Z");
  BOOST_TEST(merged->info.duration_ms == 2000);

  const fs::path out = tmp.path() / "merged";
  BOOST_REQUIRE(report::CopyEvidence(*merged, out).ok());
  for (const auto& session : kPlan) {
    BOOST_TEST(Slurp(out / "evidence" / session / "timeline.json") == "[\"" + session + "\"]");
  }
}

BOOST_AUTO_TEST_CASE(a_missing_or_repeated_shard_is_refused) {
  TempDir tmp("otasim-merge");
  const fs::path one = WriteShard(tmp, Record(1, 2), {0, 2}, "2026-01-01T00:00:00Z");
  auto missing = report::CombineShards({one});
  BOOST_REQUIRE(!missing.ok());
  BOOST_TEST(Message(missing).find("shard(s) 2 of 2 are missing") != std::string::npos, Message(missing));

  auto twice = report::CombineShards({one, one});
  BOOST_REQUIRE(!twice.ok());
  BOOST_TEST(Message(twice).find("are the same shard") != std::string::npos, Message(twice));
}

BOOST_AUTO_TEST_CASE(shards_of_different_runs_are_refused_naming_the_difference) {
  TempDir tmp("otasim-merge");
  const fs::path one = WriteShard(tmp, Record(1, 2), {0, 2}, "2026-01-01T00:00:00Z");
  auto other = Record(2, 2);
  other.seed = 99;
  const fs::path two = WriteShard(tmp, other, {1}, "2026-01-01T00:00:00Z");
  auto merged = report::CombineShards({one, two});
  BOOST_REQUIRE(!merged.ok());
  BOOST_TEST(Message(merged).find("not from the same run") != std::string::npos, Message(merged));
  BOOST_TEST(Message(merged).find("seed") != std::string::npos, Message(merged));

  TempDir tmp2("otasim-merge");
  const fs::path a = WriteShard(tmp2, Record(1, 2), {0, 2}, "2026-01-01T00:00:00Z");
  const fs::path b = WriteShard(tmp2, Record(3, 3), {2}, "2026-01-01T00:00:00Z");
  auto split = report::CombineShards({a, b});
  BOOST_REQUIRE(!split.ok());
  BOOST_TEST(Message(split).find("not a shard of the same split") != std::string::npos, Message(split));
}

BOOST_AUTO_TEST_CASE(a_session_in_the_wrong_shard_or_missing_is_refused) {
  TempDir tmp("otasim-merge");
  const fs::path one = WriteShard(tmp, Record(1, 2), {0, 1, 2}, "2026-01-01T00:00:00Z");
  const fs::path two = WriteShard(tmp, Record(2, 2), {1}, "2026-01-01T00:00:00Z");
  auto wrong = report::CombineShards({one, two});
  BOOST_REQUIRE(!wrong.ok());
  BOOST_TEST(Message(wrong).find("tamper/image-bit-flip@http belongs to shard 2") != std::string::npos,
             Message(wrong));

  TempDir tmp2("otasim-merge");
  const fs::path short_one = WriteShard(tmp2, Record(1, 2), {0}, "2026-01-01T00:00:00Z");
  const fs::path short_two = WriteShard(tmp2, Record(2, 2), {1}, "2026-01-01T00:00:00Z");
  auto incomplete = report::CombineShards({short_one, short_two});
  BOOST_REQUIRE(!incomplete.ok());
  BOOST_TEST(Message(incomplete).find("tamper/short-image@http is missing from shard 1") != std::string::npos,
             Message(incomplete));
}

BOOST_AUTO_TEST_SUITE_END()
