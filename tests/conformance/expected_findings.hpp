// Strict expected-findings files for real OTA clients (targets/profiles/NAME.expected.yaml):
// every scenario@protocol that does not pass against the client is listed with its verdict and
// the reason. A new finding fails the test, and so does a listed one that stops reproducing —
// so the file always says exactly what otasim finds in that client.
#pragma once

#include <boost/test/unit_test.hpp>
#include <yaml-cpp/yaml.h>

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "support/run_otasim.hpp"

namespace otasim::testing {

struct ExpectedFinding {
  std::string verdict;  // fail, error or skip
  std::string why;
};

// Keyed by "scenario@protocol".
inline std::map<std::string, ExpectedFinding> LoadExpectedFindings(const std::string& profile) {
  const std::string path =
      std::string(OTASIM_SOURCE_DIR) + "/targets/profiles/" + profile + ".expected.yaml";
  const YAML::Node root = YAML::LoadFile(path);
  BOOST_REQUIRE_MESSAGE(root["profile"] && root["profile"].Scalar() == profile,
                        path << " names profile " << profile);
  std::map<std::string, ExpectedFinding> findings;
  for (const auto& node : root["findings"]) {
    const std::string key = node["scenario"].Scalar() + "@" + node["protocol"].Scalar();
    BOOST_REQUIRE_MESSAGE(node["why"] && !node["why"].Scalar().empty(), key << " says why");
    BOOST_REQUIRE_MESSAGE(findings.count(key) == 0, key << " is listed once");
    findings[key] = {node["verdict"].Scalar(), node["why"].Scalar()};
  }
  return findings;
}

// The first failed check of a scenario, as one line of evidence for the test log.
inline std::string FirstEvidence(const nlohmann::json& scenario) {
  if (scenario.contains("steps")) {
    for (const auto& step : scenario.at("steps")) {
      if (step.value("error", std::string()) != "") return "step error: " + step.value("error", "");
      for (const auto& check : step.value("checks", nlohmann::json::array())) {
        if (!check.value("ok", true)) {
          return step.value("name", std::string()) + ": expected " + check.value("expected", "") +
                 ", observed " + check.value("observed", "");
        }
      }
    }
  }
  return scenario.value("reason", std::string());
}

// Runs the standard suite against `profile` and compares every non-passing scenario with the
// profile's expected-findings file, both ways.
inline void CheckProfileFindings(const std::string& profile, const std::vector<std::string>& extra) {
  const auto expected = LoadExpectedFindings(profile);
  std::vector<std::string> args = {"--target", profile, "--suite", "standard", "-j", "2"};
  args.insert(args.end(), extra.begin(), extra.end());
  OtasimRun run = RunOtasim(args, profile);
  BOOST_TEST_INFO("otasim output:\n" << run.output.substr(0, 20000));
  BOOST_REQUIRE(run.report.is_object());
  std::map<std::string, std::string> seen;  // scenario@protocol → verdict, non-passing only
  int passes = 0;
  for (const auto& s : run.report.at("scenarios")) {
    const std::string key = s.at("id").get<std::string>() + "@" + s.at("protocol").get<std::string>();
    const std::string verdict = s.at("verdict").get<std::string>();
    if (verdict == "pass") {
      ++passes;
      continue;
    }
    seen[key] = verdict;
    auto it = expected.find(key);
    const bool listed = it != expected.end();
    BOOST_TEST(listed, "new finding " << key << ": " << verdict << " — "
                                                   << FirstEvidence(s));
    if (listed) {
      BOOST_TEST(it->second.verdict == verdict,
                 key << " is " << verdict << ", the file says " << it->second.verdict << " — "
                     << FirstEvidence(s));
    }
  }
  for (const auto& [key, finding] : expected) {
    BOOST_TEST(seen.count(key) == 1,
               key << " is listed as " << finding.verdict << " but now passes (" << finding.why
                   << "): update the file");
  }
  // Every attack scenario starts with a legitimate update: a client that installs nothing
  // would error everywhere. Some scenarios must pass for the findings to mean anything.
  BOOST_TEST(passes > 0, "the client passes some scenarios");
}

}  // namespace otasim::testing
