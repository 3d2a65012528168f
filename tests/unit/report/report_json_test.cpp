#define BOOST_TEST_MODULE report_json
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

#include "report/report.hpp"
#include "support/temp_dir.hpp"

using namespace otasim;
using namespace otasim::scoring;
using nlohmann::json;
namespace fs = std::filesystem;
using otasim::testing::Slurp;
using otasim::testing::TempDir;

namespace {

Catalogue MakeCatalogue() {
  Catalogue catalogue;
  catalogue.requirements.push_back(Requirement{
      "UPD-1", "update", "Anti-rollback", "Older releases are rejected.",
      {"IETF RFC 9124 REQ.SEC.SEQUENCE"}, "test"});
  catalogue.requirements.push_back(Requirement{
      "LCY-2", "lifecycle", "Decommissioning wipe", "Keys are erased.", {"IEC 62443-4-2 CR 4.2"},
      "documentary"});
  return catalogue;
}

ScenarioResult MakeScenario(std::string protocol, Verdict verdict) {
  ScenarioResult scenario;
  scenario.id = "downgrade/signed-older";
  scenario.title = "Signed older release";
  scenario.protocol = std::move(protocol);
  scenario.verdict = verdict;
  scenario.reason = verdict == Verdict::kFail ? "step 2 (serve v1): outcome expected rejected, "
                                                "observed installed"
                                              : "";
  scenario.requirements = {"UPD-1"};
  scenario.duration_ms = 1234;
  scenario.evidence_dir = "evidence/downgrade/signed-older@" + scenario.protocol;
  StepResult step;
  step.index = 1;
  step.name = "install v2";
  step.control = true;
  step.action = "check";
  step.attacks = {"none"};
  step.duration_ms = 600;
  step.checks.push_back(CheckResult{"outcome", "installed", "installed", "verb", true});
  scenario.steps.push_back(step);
  return scenario;
}

report::RunReport MakeReport(const Catalogue& catalogue) {
  report::RunReport run;
  run.info.otasim_version = "0.1.0";
  run.info.suite = "default";
  run.info.target = "reference-secure";
  run.info.target_params = {{"flaw", "none"}};
  run.info.grading_profile = "default";
  run.info.protocols = {"http", "coap"};
  run.info.seed = 18446744073709551615ull;
  run.info.jobs = 4;
  run.info.started = "2024-05-01T10:00:00Z";
  run.info.duration_ms = 9876;
  run.info.command_line = {"otasim", "run", "--target", "reference-secure"};
  run.scenarios = {MakeScenario("http", Verdict::kPass), MakeScenario("coap", Verdict::kFail),
                   MakeScenario("coap", Verdict::kSkip)};
  run.requirements = ScoreRequirements(catalogue, run.scenarios);
  run.grade = GradeResult{"none", "bronze", {"UPD-1"}};
  run.catalogue = &catalogue;
  return run;
}

}  // namespace

BOOST_AUTO_TEST_CASE(run_fields_are_present) {
  Catalogue catalogue = MakeCatalogue();
  json out = report::ToJson(MakeReport(catalogue));
  for (const char* key : {"otasim_version", "suite", "target", "target_params", "grading_profile",
                          "protocols", "seed", "jobs", "started", "duration_ms", "command_line",
                          "grade", "scenarios", "requirements", "documentary", "summary"}) {
    BOOST_TEST(out.contains(key), "missing " << key);
  }
  BOOST_TEST(out["otasim_version"] == "0.1.0");
  BOOST_TEST(out["target_params"]["flaw"] == "none");
  BOOST_TEST(out["seed"].get<std::uint64_t>() == 18446744073709551615ull);
  BOOST_TEST(out["jobs"] == 4);
  BOOST_TEST(out["duration_ms"] == 9876);
  BOOST_TEST(out["protocols"] == json({"http", "coap"}));
  BOOST_TEST(out["command_line"].size() == 4u);
  BOOST_TEST(out["grade"]["level"] == "none");
  BOOST_TEST(out["grade"]["next_level"] == "bronze");
  BOOST_TEST(out["grade"]["blocking"] == json({"UPD-1"}));
}

BOOST_AUTO_TEST_CASE(scenarios_steps_and_checks) {
  Catalogue catalogue = MakeCatalogue();
  json out = report::ToJson(MakeReport(catalogue));
  BOOST_REQUIRE(out["scenarios"].size() == 3u);
  const json& failed = out["scenarios"][1];
  BOOST_TEST(failed["id"] == "downgrade/signed-older");
  BOOST_TEST(failed["title"] == "Signed older release");
  BOOST_TEST(failed["protocol"] == "coap");
  BOOST_TEST(failed["verdict"] == "fail");
  BOOST_TEST(failed["reason"].get<std::string>().rfind("step 2", 0) == 0);
  BOOST_TEST(failed["requirements"] == json({"UPD-1"}));
  BOOST_TEST(failed["duration_ms"] == 1234);
  BOOST_TEST(failed["evidence"] == "evidence/downgrade/signed-older@coap");
  const json& step = failed["steps"][0];
  for (const char* key : {"index", "name", "control", "action", "attacks", "error", "duration_ms",
                          "checks"}) {
    BOOST_TEST(step.contains(key), "step missing " << key);
  }
  BOOST_TEST(step["control"] == true);
  const json& check = step["checks"][0];
  BOOST_TEST(check == json({{"name", "outcome"}, {"expected", "installed"},
                            {"observed", "installed"}, {"channel", "verb"}, {"ok", true}}));
}

BOOST_AUTO_TEST_CASE(requirements_documentary_and_summary) {
  Catalogue catalogue = MakeCatalogue();
  json out = report::ToJson(MakeReport(catalogue));
  BOOST_REQUIRE(out["requirements"].size() == 2u);
  const json& upd1 = out["requirements"][0];
  BOOST_TEST(upd1["id"] == "UPD-1");
  BOOST_TEST(upd1["pillar"] == "update");
  BOOST_TEST(upd1["title"] == "Anti-rollback");
  BOOST_TEST(upd1["statement"] == "Older releases are rejected.");
  BOOST_TEST(upd1["mappings"] == json({"IETF RFC 9124 REQ.SEC.SEQUENCE"}));
  BOOST_TEST(upd1["verdict"] == "fail");
  BOOST_TEST(upd1["scenarios"] == json({"downgrade/signed-older@http",
                                        "downgrade/signed-older@coap"}));
  BOOST_TEST(out["requirements"][1]["verdict"] == "not-assessed");

  BOOST_REQUIRE(out["documentary"].size() == 1u);
  BOOST_TEST(out["documentary"][0]["id"] == "LCY-2");
  BOOST_TEST(out["documentary"][0]["title"] == "Decommissioning wipe");
  BOOST_TEST(out["documentary"][0]["statement"] == "Keys are erased.");

  BOOST_TEST(out["summary"] == json({{"pass", 1}, {"fail", 1}, {"error", 0}, {"skip", 1},
                                     {"xfail", 0}, {"xpass", 0}, {"total", 3}}));
}

BOOST_AUTO_TEST_CASE(without_catalogue_fields_stay_present) {
  Catalogue catalogue = MakeCatalogue();
  report::RunReport run = MakeReport(catalogue);
  run.catalogue = nullptr;
  json out = report::ToJson(run);
  BOOST_TEST(out["requirements"][0]["title"] == "");
  BOOST_TEST(out["requirements"][0]["mappings"].is_array());
  BOOST_TEST(out["documentary"].empty());
}

BOOST_AUTO_TEST_CASE(hostile_strings_still_dump) {
  Catalogue catalogue = MakeCatalogue();
  report::RunReport run = MakeReport(catalogue);
  run.scenarios[1].steps[0].checks[0].observed = std::string("bad \xff\xfe utf8 \x01 \"q\"", 17);
  json out = report::ToJson(run);
  std::string text;
  BOOST_REQUIRE_NO_THROW(text = out.dump());
  json back = json::parse(text);
  BOOST_TEST(back["scenarios"][1]["steps"][0]["checks"][0]["observed"] ==
             "bad \xEF\xBF\xBD\xEF\xBF\xBD utf8 \x01 \"q\"");
}

BOOST_AUTO_TEST_CASE(write_reports_writes_both_files) {
  Catalogue catalogue = MakeCatalogue();
  TempDir temp("otasim-report");
  fs::path out_dir = temp.path() / "nested" / "out";
  Status status = report::WriteReports(MakeReport(catalogue), out_dir);
  BOOST_REQUIRE_MESSAGE(status.ok(), (status.ok() ? "" : status.error().What()));
  std::ifstream json_file(out_dir / "report.json");
  json parsed = json::parse(json_file);
  BOOST_TEST(parsed["suite"] == "default");
  BOOST_TEST(Slurp(out_dir / "junit.xml").rfind("<?xml", 0) == 0);
  // Nothing but the three reports (report.json, junit.xml, report.html): the temporary files
  // were renamed into place.
  int files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(out_dir)) ++files;
  BOOST_TEST(files == 3);

  // A directory that cannot be created is an error value, not an exception.
  const fs::path blocker = temp.Write("file", "x");
  BOOST_TEST(!report::WriteReports(MakeReport(catalogue), blocker / "out").ok());
}
