#define BOOST_TEST_MODULE report_rerun_cli
#include <boost/test/unit_test.hpp>

// `otasim run --rerun DIR`: the same run again from report.json's `reproduce` record, with the
// same verdicts and the same recorded inputs, and a warning when an input changed since.

#include <filesystem>

#include <nlohmann/json.hpp>

#include "support/run_otasim.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using otasim::testing::RunOtasim;
using otasim::testing::RunOtasimCommand;
using otasim::testing::Slurp;
using otasim::testing::TempDir;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

json Verdicts(const json& report) {
  json verdicts = json::array();
  for (const auto& s : report.at("scenarios")) {
    verdicts.push_back({s.at("id"), s.at("protocol"), s.at("verdict"), s.at("reason")});
  }
  return verdicts;
}

// What must be identical between a run and its rerun: every input and its hash.
json Hashes(const json& reproduce) {
  json kept = reproduce;
  for (const char* field : {"command_line", "jobs"}) kept.erase(field);
  return kept;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(report_rerun_cli)

BOOST_AUTO_TEST_CASE(a_rerun_repeats_the_run_and_warns_about_changed_inputs) {
  auto original = RunOtasim({"--target", "reference", "--target-param", "flaws=skip-digest",
                             "--protocol", "http", "--scenario", "tamper/image-bit-flip",
                             "--scenario", "rollback/signed-older", "--seed", "11"},
                            "rerun-original");
  BOOST_TEST_INFO(original.output);
  BOOST_REQUIRE(original.exit_code == 1);
  BOOST_REQUIRE(original.report.is_object());
  const json& recorded = original.report.at("reproduce");
  BOOST_TEST(recorded.at("seed") == 11);
  BOOST_TEST(recorded.at("scenarios").size() == 2u);
  BOOST_TEST(recorded.at("scenarios")[0].at("sha256").get<std::string>().size() == 64u);
  BOOST_TEST(recorded.at("target").at("sha256").get<std::string>().size() == 64u);
  BOOST_TEST(recorded.at("catalogue").at("sha256").get<std::string>().size() == 64u);
  BOOST_TEST(recorded.at("grading_profile").at("sha256").get<std::string>().size() == 64u);
  bool tamper_plugin = false;
  for (const auto& plugin : recorded.at("plugins")) {
    if (plugin.at("origin") == "builtin" && plugin.at("types").size() == 1u &&
        Contains(plugin.at("types")[0].get<std::string>(), "attack.tamper ")) {
      tamper_plugin = true;
    }
  }
  BOOST_TEST(tamper_plugin, recorded.at("plugins").dump());

  // Pretend a scenario file changed since: edit the hash recorded in a copy of the run.
  TempDir tmp("otasim-rerun");
  const fs::path copy = tmp.path() / "run";
  fs::copy(original.out_dir, copy, fs::copy_options::recursive);
  json edited = original.report;
  edited["reproduce"]["scenarios"][1]["sha256"] = std::string(64, '0');
  tmp.Write("run/report.json", edited.dump(2));

  // No --out: the rerun writes next to the recorded run.
  auto rerun = RunOtasimCommand({"run", "--rerun", copy.string()}, 600);
  BOOST_TEST_INFO(rerun.output);
  BOOST_TEST(rerun.exit_code == original.exit_code);  // a warning does not change it
  BOOST_TEST(Contains(rerun.output, "warning: --rerun: scenario 'rollback/signed-older'"));
  BOOST_TEST(!Contains(rerun.output, "scenario 'tamper/image-bit-flip'"));
  const json again = json::parse(Slurp(tmp.path() / "run-rerun" / "report.json"));
  BOOST_TEST(Verdicts(again) == Verdicts(original.report));
  BOOST_TEST(Hashes(again.at("reproduce")) == Hashes(recorded));
  BOOST_TEST(again.at("target_params") == original.report.at("target_params"));
  BOOST_TEST(again.at("grade") == original.report.at("grade"));

  auto conflicting = RunOtasimCommand({"run", "--rerun", copy.string(), "--seed", "2"});
  BOOST_TEST(conflicting.exit_code == 2, conflicting.output);
  auto nothing = RunOtasimCommand({"run", "--rerun", (tmp.path() / "missing").string()});
  BOOST_TEST(nothing.exit_code == 2, nothing.output);
  BOOST_TEST(Contains(nothing.output, "--rerun"), nothing.output);
}

BOOST_AUTO_TEST_SUITE_END()
