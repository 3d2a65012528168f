#define BOOST_TEST_MODULE keys_identity_scenarios
#include <boost/test/unit_test.hpp>
// keys/* (AUT-8, AUT-9, AUT-10), identity/mutual-tls (IDA-4) and self-test/revert (UPD-6) end to
// end: the real otasim against the real reference device over every protocol each scenario
// applies to. The secure device passes every one; each flaw fails exactly its scenario and
// requirement, and passes the others it is run against.

#include <fstream>
#include <map>
#include <set>
#include <string>

#include "support/run_otasim.hpp"
#include "support/temp_dir.hpp"

namespace {

using otasim::testing::RunOtasim;
using Json = nlohmann::json;

const char* const kKeyFlaws[] = {"no-client-cert", "accept-in-band-key", "accept-revoked-key",
                                 "accept-weak-alg", "no-self-test-revert"};

// The reference profile, with the issue-5 flaws admitted if it does not list them yet.
std::string ReferenceProfile() {
  static otasim::testing::TempDir dir{"otasim-keys-profile"};
  const std::string source = std::string(OTASIM_SOURCE_DIR) + "/targets/profiles/reference.yaml";
  std::ifstream in(source);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  BOOST_REQUIRE_MESSAGE(!text.empty(), "cannot read " + source);
  std::string missing;
  for (const char* flaw : kKeyFlaws) {
    if (text.find(flaw) == std::string::npos) missing += std::string(", ") + flaw;
  }
  if (missing.empty()) return "reference";
  const auto end = text.find("reject-all]");
  BOOST_REQUIRE_MESSAGE(end != std::string::npos, "the reference profile's flaw choices moved");
  text.insert(end + std::string("reject-all").size(), missing);
  const auto path = dir.path() / "reference.yaml";
  std::ofstream(path) << text;
  return path.string();
}

otasim::testing::OtasimRun Run(const std::vector<std::string>& scenarios,
                               const std::string& flaws, const std::string& name) {
  std::vector<std::string> args = {"--target", ReferenceProfile(), "--protocol", "http,coap,mqtt",
                                   "-j", "2"};
  for (const auto& s : scenarios) {
    args.push_back("--scenario");
    args.push_back(s);
  }
  if (!flaws.empty()) {
    args.push_back("--target-param");
    args.push_back("flaws=" + flaws);
  }
  return RunOtasim(args, name);
}

// "id@protocol" -> verdict
std::map<std::string, std::string> Verdicts(const otasim::testing::OtasimRun& run) {
  BOOST_REQUIRE_MESSAGE(run.report.is_object(), run.output);
  std::map<std::string, std::string> verdicts;
  for (const auto& s : run.report.at("scenarios")) {
    verdicts[s.at("id").get<std::string>() + "@" + s.at("protocol").get<std::string>()] =
        s.at("verdict").get<std::string>();
  }
  return verdicts;
}

std::string Requirement(const otasim::testing::OtasimRun& run, const std::string& id) {
  for (const auto& r : run.report.at("requirements")) {
    if (r.at("id") == id) return r.at("verdict").get<std::string>();
  }
  return "(absent)";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(keys_identity_scenarios)

BOOST_AUTO_TEST_CASE(secure_device_passes_every_scenario_on_every_protocol) {
  const auto run = Run({"keys/*", "identity/mutual-tls", "self-test/revert"}, "", "secure");
  const auto verdicts = Verdicts(run);
  BOOST_TEST_INFO(run.output);
  // Five keys scenarios and self-test over three protocols, mutual-tls over HTTPS only.
  BOOST_TEST(verdicts.size() == 19u);
  BOOST_TEST(verdicts.count("identity/mutual-tls@http") == 1u);
  for (const auto& [session, verdict] : verdicts) {
    BOOST_TEST(verdict == "pass", session << ": " << verdict);
  }
  for (const char* req : {"AUT-8", "AUT-9", "AUT-10", "IDA-4", "UPD-6"}) {
    BOOST_TEST(Requirement(run, req) == "pass", req);
  }
  BOOST_TEST(run.exit_code == 0);
}

BOOST_AUTO_TEST_CASE(each_flaw_fails_its_scenario_and_requirement) {
  struct Case {
    std::string flaw;
    std::vector<std::string> failing;  // scenario ids that must fail (on every protocol run)
    std::vector<std::string> passing;  // run alongside; must still pass
    std::vector<std::string> requirements_failed;
  };
  const std::vector<Case> cases = {
      {"accept-revoked-key", {"keys/revoked-key"}, {"keys/rotation-accepted", "keys/unsigned-root"}, {"AUT-8"}},
      {"accept-in-band-key", {"keys/in-band-key"}, {"keys/unsigned-root"}, {"AUT-9"}},
      {"accept-weak-alg", {"keys/weak-alg"}, {}, {"AUT-10"}},
      {"no-self-test-revert", {"self-test/revert"}, {}, {"UPD-6"}},
      {"no-client-cert", {"identity/mutual-tls"}, {}, {"IDA-4"}},
      {"skip-signature", {"keys/unsigned-root", "keys/in-band-key"}, {}, {"AUT-8", "AUT-9"}},
  };
  for (const Case& c : cases) {
    std::vector<std::string> scenarios = c.failing;
    scenarios.insert(scenarios.end(), c.passing.begin(), c.passing.end());
    const auto run = Run(scenarios, c.flaw, "flaw-" + c.flaw);
    BOOST_TEST_INFO(c.flaw << ":\n" << run.output);
    const auto verdicts = Verdicts(run);
    BOOST_TEST(!verdicts.empty());
    for (const auto& [session, verdict] : verdicts) {
      const std::string id = session.substr(0, session.find('@'));
      const bool should_fail =
          std::find(c.failing.begin(), c.failing.end(), id) != c.failing.end();
      BOOST_TEST(verdict == (should_fail ? "fail" : "pass"), c.flaw << " " << session);
    }
    for (const auto& req : c.requirements_failed) {
      BOOST_TEST(Requirement(run, req) == "fail", c.flaw << " " << req);
    }
    BOOST_TEST(run.exit_code == 1);
  }
}

BOOST_AUTO_TEST_SUITE_END()
