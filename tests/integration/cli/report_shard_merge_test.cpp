#define BOOST_TEST_MODULE report_shard_merge_cli
#include <boost/test/unit_test.hpp>

// `otasim run --shard i/n` and `otasim merge`: the merged report of two shards says what the
// unsharded run says, and shards of different runs are refused. Three scenarios against the
// reference device with one flaw, so that one of them fails and the shards' exit codes differ.

#include <filesystem>

#include <nlohmann/json.hpp>

#include "support/run_otasim.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using otasim::testing::OtasimRun;
using otasim::testing::RunOtasim;
using otasim::testing::RunOtasimCommand;
using otasim::testing::Slurp;
using otasim::testing::TempDir;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Plan: image-bit-flip (fails: the device skips the digest), signed-older, same-manifest.
// Round robin over 2 shards: shard 1 runs positions 0 and 2, shard 2 position 1.
std::vector<std::string> RunArgs() {
  return {"--target", "reference", "--target-param", "flaws=skip-digest", "--protocol", "http",
          "--scenario", "tamper/image-bit-flip", "--scenario", "rollback/signed-older",
          "--scenario", "replay/same-manifest", "--seed", "3"};
}

OtasimRun RunWith(std::vector<std::string> extra, const std::string& name) {
  auto args = RunArgs();
  args.insert(args.end(), extra.begin(), extra.end());
  return RunOtasim(args, name);
}

struct Runs {
  OtasimRun whole = RunWith({"-j", "2"}, "merge-whole");
  OtasimRun shard1 = RunWith({"--shard", "1/2"}, "merge-shard1");
  OtasimRun shard2 = RunWith({"--shard", "2/2"}, "merge-shard2");
};

const Runs& AllRuns() {
  static Runs runs;
  return runs;
}

json Verdicts(const json& report) {
  json verdicts = json::array();
  for (const auto& s : report.at("scenarios")) {
    verdicts.push_back({s.at("id"), s.at("protocol"), s.at("verdict"), s.at("reason"), s.at("evidence")});
  }
  return verdicts;
}

json Requirements(const json& report) {
  json requirements = json::array();
  for (const auto& r : report.at("requirements")) {
    requirements.push_back({r.at("id"), r.at("verdict"), r.at("scenarios")});
  }
  return requirements;
}

// The reproduce record without what legitimately differs between invocations.
json Comparable(json reproduce) {
  for (const char* field : {"command_line", "jobs", "shard"}) reproduce.erase(field);
  return reproduce;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(report_shard_merge_cli)

BOOST_AUTO_TEST_CASE(each_shard_runs_its_slice_and_exits_for_it_alone) {
  const auto& runs = AllRuns();
  BOOST_TEST_INFO(runs.whole.output + runs.shard1.output + runs.shard2.output);
  BOOST_TEST(runs.whole.exit_code == 1);
  BOOST_TEST(runs.shard1.exit_code == 1);  // holds the failing image-bit-flip
  BOOST_TEST(runs.shard2.exit_code == 0);
  BOOST_REQUIRE(runs.shard1.report.is_object());
  BOOST_REQUIRE(runs.shard2.report.is_object());
  BOOST_REQUIRE(runs.shard1.report.at("scenarios").size() == 2u);
  BOOST_TEST(runs.shard1.report.at("scenarios")[0].at("id") == "tamper/image-bit-flip");
  BOOST_TEST(runs.shard1.report.at("scenarios")[1].at("id") == "replay/same-manifest");
  BOOST_REQUIRE(runs.shard2.report.at("scenarios").size() == 1u);
  BOOST_TEST(runs.shard2.report.at("scenarios")[0].at("id") == "rollback/signed-older");
  BOOST_TEST(runs.shard2.report.at("reproduce").at("shard") == (json{{"index", 2}, {"count", 2}}));
  BOOST_TEST(runs.shard2.report.at("reproduce").at("plan").size() == 3u);  // the full plan
}

BOOST_AUTO_TEST_CASE(the_merged_report_equals_the_unsharded_one) {
  const auto& runs = AllRuns();
  TempDir tmp("otasim-merge-cli");
  const fs::path out = tmp.path() / "merged";
  // Shards in any order.
  auto merge = RunOtasimCommand({"merge", "--out", out.string(), runs.shard2.out_dir, runs.shard1.out_dir});
  BOOST_TEST_INFO(merge.output);
  BOOST_TEST(merge.exit_code == 1);  // as the unsharded run: a finding
  const json merged = json::parse(Slurp(out / "report.json"));
  const json& whole = runs.whole.report;
  BOOST_REQUIRE(whole.is_object());
  BOOST_TEST(Verdicts(merged) == Verdicts(whole));
  BOOST_TEST(Requirements(merged) == Requirements(whole));
  BOOST_TEST(merged.at("grade") == whole.at("grade"));
  BOOST_TEST(merged.at("summary") == whole.at("summary"));
  BOOST_TEST(merged.at("documentary") == whole.at("documentary"));
  BOOST_TEST(merged.at("reproduce").at("shard") == (json{{"index", 1}, {"count", 1}}));
  BOOST_TEST(Comparable(merged.at("reproduce")) == Comparable(whole.at("reproduce")));
  for (const char* field : {"suite", "target", "target_params", "grading_profile", "protocols", "seed"}) {
    BOOST_TEST(merged.at(field) == whole.at(field), field);
  }
  // Evidence of every session, copied from its shard, and a junit.xml with every test case.
  for (const auto& scenario : merged.at("scenarios")) {
    BOOST_TEST(fs::exists(out / scenario.at("evidence").get<std::string>() / "timeline.json"));
  }
  const std::string junit = Slurp(out / "junit.xml");
  for (const char* id : {"tamper/image-bit-flip", "rollback/signed-older", "replay/same-manifest"}) {
    BOOST_TEST(Contains(junit, id), id);
  }
}

BOOST_AUTO_TEST_CASE(shards_that_are_not_one_run_are_refused) {
  const auto& runs = AllRuns();
  TempDir tmp("otasim-merge-cli");
  const fs::path out = tmp.path() / "merged";

  auto missing = RunOtasimCommand({"merge", "--out", out.string(), runs.shard1.out_dir});
  BOOST_TEST(missing.exit_code == 2, missing.output);
  BOOST_TEST(Contains(missing.output, "shard(s) 2 of 2 are missing"), missing.output);

  auto twice = RunOtasimCommand({"merge", "--out", out.string(), runs.shard1.out_dir, runs.shard1.out_dir});
  BOOST_TEST(twice.exit_code == 2, twice.output);
  BOOST_TEST(Contains(twice.output, "are the same shard"), twice.output);

  // A shard of another run (another seed): its recorded reproduce record differs.
  const fs::path foreign = tmp.path() / "foreign";
  fs::copy(runs.shard2.out_dir, foreign, fs::copy_options::recursive);
  json report = json::parse(Slurp(foreign / "report.json"));
  report["reproduce"]["seed"] = 4;
  tmp.Write("foreign/report.json", report.dump(2));
  auto mismatched = RunOtasimCommand({"merge", "--out", out.string(), runs.shard1.out_dir, foreign.string()});
  BOOST_TEST(mismatched.exit_code == 2, mismatched.output);
  BOOST_TEST(Contains(mismatched.output, "is not from the same run"), mismatched.output);
  BOOST_TEST(Contains(mismatched.output, "seed: '3' in " + runs.shard1.out_dir + ", '4' in " + foreign.string()), mismatched.output);

  auto not_a_run = RunOtasimCommand({"merge", "--out", out.string(), tmp.path().string()});
  BOOST_TEST(not_a_run.exit_code == 2, not_a_run.output);
  BOOST_TEST(Contains(not_a_run.output, "report.json"), not_a_run.output);

  auto bad_shard = RunOtasimCommand({"run", "--target", "reference", "--shard", "3/2"});
  BOOST_TEST(bad_shard.exit_code == 2, bad_shard.output);
  BOOST_TEST(Contains(bad_shard.output, "--shard '3/2'"), bad_shard.output);
}

BOOST_AUTO_TEST_SUITE_END()
