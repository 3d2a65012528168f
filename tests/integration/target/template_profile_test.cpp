#define BOOST_TEST_MODULE template_profile_runs
#include <boost/test/unit_test.hpp>
// `otasim run` with a template profile (template_reference.yaml): otasim-device driven only
// through command templates, its outcome from log and exit-code rules, its state synthesized
// from its slot file. It must grade like the contract adapter; broken templates must end as a
// scenario error with a clear reason, never a hang; clock: faketime must reach the client.

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "otasim/time.hpp"
#include "support/run_otasim.hpp"
#include "support/temp_dir.hpp"
#include "target/faketime.hpp"

namespace {

namespace fs = std::filesystem;
using otasim::testing::OtasimRun;
using otasim::testing::RunOtasim;
using otasim::testing::Slurp;
using otasim::testing::TempDir;

const fs::path kFixture = fs::path(OTASIM_SOURCE_DIR) / "tests/integration/target/template_reference.yaml";

// The fixture with one piece of text replaced, written to `dir`.
std::string Variant(const TempDir& dir, const std::string& from, const std::string& to) {
  std::string text = Slurp(kFixture);
  const auto at = text.find(from);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, "'" << from << "' not in the fixture");
  text.replace(at, from.size(), to);
  return dir.Write("profile.yaml", text).string();
}

OtasimRun Run(const std::string& profile, const std::vector<std::string>& scenarios,
              const std::string& name, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"--target", profile, "--protocol", "http"};
  for (const auto& s : scenarios) {
    args.push_back("--scenario");
    args.push_back(s);
  }
  args.insert(args.end(), extra.begin(), extra.end());
  return RunOtasim(args, name);
}

const nlohmann::json& Scenario(const OtasimRun& run, const std::string& id) {
  BOOST_REQUIRE_MESSAGE(run.report.is_object(), run.output);
  for (const auto& s : run.report.at("scenarios")) {
    if (s.at("id") == id) return s;
  }
  BOOST_FAIL("scenario " << id << " not in the report: " << run.output);
  return run.report;
}

std::string Reason(const nlohmann::json& scenario) { return scenario.value("reason", std::string()); }

}  // namespace

BOOST_AUTO_TEST_SUITE(template_profile_runs)

BOOST_AUTO_TEST_CASE(the_template_profile_grades_the_secure_device_like_the_contract) {
  const std::vector<std::string> ids = {"baseline/legitimate-update", "tamper/image-bit-flip",
                                        "tamper/corrupt-signature", "rollback/signed-older"};
  const auto run = Run(kFixture.string(), ids, "template-secure");
  BOOST_TEST_INFO(run.output);
  for (const auto& id : ids) {
    const auto& s = Scenario(run, id);
    BOOST_TEST(s.at("verdict") == "pass", id << ": " << Reason(s));
  }
  BOOST_TEST(run.exit_code == 0);
  // The outcome was read by the rules, and the evidence says which one.
  const auto log = Slurp(fs::path(run.out_dir) / "evidence/tamper/image-bit-flip@http/device.log");
  BOOST_TEST(log.find("--- outcome: rejected (digest) \u2014 log: otasim-device: rejected: digest") !=
             std::string::npos, log);
  BOOST_TEST(log.find("(synthesized by otasim)") != std::string::npos);
  const auto timeline = nlohmann::json::parse(
      Slurp(fs::path(run.out_dir) / "evidence/rollback/signed-older@http/timeline.json"));
  int judged = 0;
  for (const auto& e : timeline) {
    if (e.at("source") == "device" && e.at("event") == "check" && e["details"].contains("evidence")) {
      ++judged;
      if (e["details"]["step"] == 2) BOOST_TEST(e["details"]["reason"] == "rollback");
    }
  }
  BOOST_TEST(judged == 3);
}

BOOST_AUTO_TEST_CASE(a_flawed_client_behind_the_templates_is_found) {
  TempDir dir("otasim-template-flawed");
  const auto profile = Variant(dir, "--config, \"{config_file}\", --flaws, single-slot]\n      env",
                               "--config, \"{config_file}\", --flaws, \"single-slot,skip-digest\"]\n      env");
  const auto run = Run(profile, {"tamper/image-bit-flip"}, "template-skip-digest");
  const auto& s = Scenario(run, "tamper/image-bit-flip");
  BOOST_TEST(s.at("verdict") == "fail", Reason(s));
  BOOST_TEST(run.exit_code == 1);
}

BOOST_AUTO_TEST_CASE(broken_templates_end_in_a_clear_error_and_the_run_finishes) {
  struct Case {
    std::string name, from, to, expected;
    std::vector<std::string> extra;
  };
  const std::vector<Case> cases = {
      {"unknown-placeholder", "OTASIM_TEST_ENDPOINT: \"{endpoint.base_url}\"",
       "OTASIM_TEST_ENDPOINT: \"{endpoint.psk_file}\"", "unknown placeholder {endpoint.psk_file}", {}},
      {"missing-command", "command: /bin/sleep", "command: /nonexistent/ota-client",
       "command '/nonexistent/ota-client' does not exist", {}},
      {"hang", "args: [\"{hang}\"]", "args: [\"{hang}\"]\n      timeout: 2s",
       "'/bin/sleep' was still running at its timeout of 2000 ms", {"--target-param", "hang=600"}},
  };
  for (const auto& c : cases) {
    TempDir dir("otasim-template-broken");
    const auto profile = Variant(dir, c.from, c.to);
    const auto run = Run(profile, {"baseline/legitimate-update"}, "template-" + c.name, c.extra);
    const auto& s = Scenario(run, "baseline/legitimate-update");
    BOOST_TEST_INFO(c.name << ": " << Reason(s));
    BOOST_TEST(s.at("verdict") == "error");
    BOOST_TEST(Reason(s).find(c.expected) != std::string::npos);
    BOOST_TEST(Reason(s).find("profile.yaml:") != std::string::npos);  // names the profile file
    BOOST_TEST(Reason(s).find("commands.check[") != std::string::npos);  // and the verb
    BOOST_TEST(run.exit_code == 3);
  }
}

BOOST_AUTO_TEST_CASE(clock_faketime_runs_the_client_at_the_devices_now) {
  if (!fs::exists(otasim::target::kFaketimeLibrary)) {
    BOOST_TEST_MESSAGE("libfaketime is not installed: skipped");
    return;
  }
  TempDir dir("otasim-template-faketime");
  std::string text = Slurp(kFixture);
  text.replace(text.find("verbs:"), 0, "clock: faketime\n");
  text.replace(text.find("    - command: /bin/sleep\n      args: [\"{hang}\"]"),
               std::string("    - command: /bin/sleep\n      args: [\"{hang}\"]").size(),
               "    - command: /bin/sh\n      args: [\"-c\", \"echo faked-now=$(date -u +%s) at {now}\"]");
  const auto profile = dir.Write("profile.yaml", text).string();
  // Its second step runs two days after the session's start.
  const auto run = Run(profile, {"freeze/expired-manifest"}, "template-faketime");
  const auto& s = Scenario(run, "freeze/expired-manifest");
  BOOST_TEST(s.at("verdict") == "pass", Reason(s));
  const auto log = Slurp(fs::path(run.out_dir) / "evidence/freeze/expired-manifest@http/device.log");
  const std::regex line("faked-now=([0-9]+) at (\\S+)");
  int seen = 0;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), line); it != std::sregex_iterator(); ++it) {
    ++seen;
    const long long faked = std::stoll((*it)[1]);
    auto now = otasim::ParseRfc3339((*it)[2].str());
    BOOST_REQUIRE(now.ok());
    const long long expected = now->time_since_epoch().count();
    BOOST_TEST_INFO("device now " << (*it)[2].str());
    BOOST_TEST(faked >= expected);
    BOOST_TEST(faked <= expected + 5);  // the faked clock runs on from the start
  }
  BOOST_TEST(seen == 2);
}

BOOST_AUTO_TEST_SUITE_END()
