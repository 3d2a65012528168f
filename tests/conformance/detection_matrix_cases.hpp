// The detection matrix over one protocol. Each tests/conformance/detection_matrix_<protocol>_test.cpp
// defines OTASIM_MATRIX_PROTOCOL and includes this file, so that the protocols run as separate
// tests (in parallel under ctest -j).
//
// Runs the standard suite with the real `otasim` binary against the reference device: secure,
// with each flaw of tests/conformance/detection_matrix.yaml, and rejecting everything. Each
// run must fail exactly the requirements the matrix lists for that protocol — this is what
// calibrates otasim.
#pragma once

#include <boost/test/unit_test.hpp>
#include <yaml-cpp/yaml.h>

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "support/run_otasim.hpp"

namespace {

using otasim::testing::OtasimRun;
using otasim::testing::RunOtasim;

const std::string kProtocol = OTASIM_MATRIX_PROTOCOL;

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
  if (!report.is_object()) return " (no report)";
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

// A matrix row: `fails`, unless `fails_over` names this protocol.
std::set<std::string> ExpectedFailures(const YAML::Node& row) {
  YAML::Node list = row["fails"];
  if (row["fails_over"] && row["fails_over"][kProtocol]) list = row["fails_over"][kProtocol];
  std::set<std::string> ids;
  for (const auto& id : list) ids.insert(id.Scalar());
  return ids;
}

std::vector<std::string> SuiteArgs(const std::vector<std::string>& extra) {
  // -j 4: most of a session is waiting (deadlines, device processes), not computing.
  std::vector<std::string> args = {"--target", "reference", "--suite", "standard", "-j", "4",
                                   "--protocol", kProtocol};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(detection_matrix_tests)

BOOST_AUTO_TEST_CASE(secure_reference_device_passes_every_scenario) {
  OtasimRun run = RunOtasim(SuiteArgs({}), "secure-" + kProtocol);
  BOOST_TEST_INFO("otasim output:\n" << run.output);
  BOOST_REQUIRE(run.report.is_object());
  BOOST_TEST(run.exit_code == 0, "non-passing scenarios:" << NonPassing(run.report));
  BOOST_TEST(run.report.at("summary").at("fail") == 0);
  BOOST_TEST(run.report.at("summary").at("error") == 0);
  BOOST_TEST(run.report.at("summary").at("pass").get<int>() >= 17);
  BOOST_TEST(Requirements(run.report, "fail").empty());
  for (const auto& s : run.report.at("scenarios")) {
    BOOST_TEST(s.at("protocol") == kProtocol, s.at("id") << " ran over " << s.at("protocol"));
  }
  for (const auto& id : Matrix()["assessed"][kProtocol]) {
    BOOST_TEST(Requirements(run.report, "pass").count(id.Scalar()) == 1,
               id.Scalar() << " is assessed over " << kProtocol << " and passes");
  }
}

BOOST_AUTO_TEST_CASE(each_flaw_fails_exactly_its_requirements) {
  const YAML::Node flaws = Matrix()["flaws"];
  BOOST_REQUIRE(flaws.IsMap());
  BOOST_TEST(flaws.size() == 19u, "every flaw but reject-all has a row");
  for (const auto& entry : flaws) {
    const std::string flaw = entry.first.Scalar();
    const std::set<std::string> expected = ExpectedFailures(entry.second);
    OtasimRun run = RunOtasim(SuiteArgs({"--target-param", "flaws=" + flaw}),
                              "flaw-" + flaw + "-" + kProtocol);
    BOOST_TEST_CONTEXT("flaw " << flaw << " over " << kProtocol << NonPassing(run.report)) {
      BOOST_REQUIRE(run.report.is_object());
      BOOST_TEST(run.exit_code == (expected.empty() ? 0 : 1), "findings exit with 1, none with 0");
      BOOST_TEST(run.report.at("summary").at("error") == 0, "no scenario may error");
      BOOST_TEST(Join(Requirements(run.report, "fail")) == Join(expected));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_device_that_rejects_everything_gets_no_grade) {
  OtasimRun run = RunOtasim(SuiteArgs({"--target-param", "flaws=reject-all"}),
                            "reject-all-" + kProtocol);
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
