#define BOOST_TEST_MODULE detection_matrix
#include <boost/test/unit_test.hpp>

// Runs the standard suite with the real `otasim` binary against the reference device: secure,
// with each flaw of tests/conformance/detection_matrix.yaml, and rejecting everything. Each
// run must fail exactly the requirements the matrix lists — this is what calibrates otasim.

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "support/run_otasim.hpp"

namespace {

using otasim::testing::RunOtasim;
using otasim::testing::OtasimRun;

std::set<std::string> Requirements(const nlohmann::json& report, const std::string& verdict) {
  std::set<std::string> ids;
  for (const auto& r : report.at("requirements")) {
    if (r.at("verdict") == verdict) ids.insert(r.at("id").get<std::string>());
  }
  return ids;
}

std::string Join(const std::set<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out.empty() ? "(none)" : out;
}

std::string NonPassing(const nlohmann::json& report) {
  std::string out;
  for (const auto& s : report.at("scenarios")) {
    if (s.at("verdict") != "pass") {
      out += "\n  " + s.at("verdict").get<std::string>() + " " + s.at("id").get<std::string>() +
             "@" + s.at("protocol").get<std::string>() + ": " + s.value("reason", "");
    }
  }
  return out;
}

YAML::Node Matrix() {
  return YAML::LoadFile(std::string(OTASIM_SOURCE_DIR) + "/tests/conformance/detection_matrix.yaml");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(detection_matrix_tests)

BOOST_AUTO_TEST_CASE(secure_reference_device_passes_every_scenario) {
  OtasimRun run = RunOtasim({"--target", "reference", "--suite", "standard", "-j", "2"}, "secure");
  BOOST_TEST_INFO("otasim output:\n" << run.output);
  BOOST_REQUIRE(run.report.is_object());
  BOOST_TEST(run.exit_code == 0, "non-passing scenarios:" << NonPassing(run.report));
  BOOST_TEST(run.report.at("summary").at("fail") == 0);
  BOOST_TEST(run.report.at("summary").at("error") == 0);
  BOOST_TEST(run.report.at("summary").at("pass").get<int>() >= 17);
  BOOST_TEST(Requirements(run.report, "fail").empty());
  // Silver needs the TLS interception scenarios (IDA-1, IDA-3), which come later: Bronze.
  const std::string grade = run.report.at("grade").at("level");
  BOOST_TEST((grade == "bronze" || grade == "silver" || grade == "gold"), "grade " << grade);
  for (const char* id : {"UPD-0", "AUT-1", "AUT-2", "AUT-3", "AUT-4", "AUT-5", "AUT-6", "UPD-1",
                         "UPD-2", "UPD-3", "UPD-4", "UPD-5", "UPD-7", "UPD-9"}) {
    BOOST_TEST(Requirements(run.report, "pass").count(id) == 1, id << " is assessed and passes");
  }
}

BOOST_AUTO_TEST_CASE(each_flaw_fails_exactly_its_requirements) {
  const YAML::Node flaws = Matrix()["flaws"];
  BOOST_REQUIRE(flaws.IsMap());
  BOOST_TEST(flaws.size() == 10u);
  for (const auto& entry : flaws) {
    const std::string flaw = entry.first.Scalar();
    std::set<std::string> expected;
    for (const auto& id : entry.second["fails"]) expected.insert(id.Scalar());
    OtasimRun run = RunOtasim({"--target", "reference", "--suite", "standard", "-j", "2",
                               "--target-param", "flaws=" + flaw},
                              "flaw-" + flaw);
    BOOST_TEST_CONTEXT("flaw " << flaw << NonPassing(run.report)) {
      BOOST_REQUIRE(run.report.is_object());
      BOOST_TEST(run.exit_code == 1, "findings exit with 1");
      BOOST_TEST(run.report.at("summary").at("error") == 0, "no scenario may error");
      BOOST_TEST(Join(Requirements(run.report, "fail")) == Join(expected));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_device_that_rejects_everything_gets_no_grade) {
  OtasimRun run = RunOtasim({"--target", "reference", "--suite", "standard", "-j", "2",
                             "--target-param", "flaws=reject-all"},
                            "reject-all");
  BOOST_REQUIRE(run.report.is_object());
  BOOST_TEST(run.report.at("grade").at("level") == "none");
  BOOST_TEST(run.report.at("summary").at("pass") == 0, "nothing passes" << NonPassing(run.report));
  for (const auto& s : run.report.at("scenarios")) {
    BOOST_TEST(s.at("verdict") == "error", s.at("id") << " is an error, never pass or fail");
  }
  BOOST_TEST(Requirements(run.report, "pass").empty());
  BOOST_TEST(run.exit_code == 3);
}

BOOST_AUTO_TEST_SUITE_END()
