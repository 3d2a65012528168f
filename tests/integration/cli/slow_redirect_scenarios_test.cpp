#define BOOST_TEST_MODULE slow_redirect_scenarios
#include <boost/test/unit_test.hpp>
// slow/trickle (UPD-8) and redirect/other-location (AUT-7) end to end: the real otasim against
// the real reference device, over every protocol each scenario applies to. The secure device
// passes; the flaw that removes the defence fails; and the flawed device is ended by the step's
// time limit instead of hanging the run.

#include <string>

#include "support/run_otasim.hpp"

namespace {

using otasim::testing::RunOtasim;

const nlohmann::json& OnlyScenario(const otasim::testing::OtasimRun& run) {
  BOOST_REQUIRE_MESSAGE(run.report.is_object(), run.output);
  BOOST_REQUIRE_MESSAGE(run.report.at("scenarios").size() == 1u, run.output);
  return run.report.at("scenarios")[0];
}

otasim::testing::OtasimRun Run(const std::string& scenario, const std::string& protocol,
                               const std::string& flaws, const std::string& name) {
  std::vector<std::string> args = {"--target", "reference", "--scenario", scenario,
                                   "--protocol", protocol};
  if (!flaws.empty()) {
    args.push_back("--target-param");
    args.push_back("flaws=" + flaws);
  }
  return RunOtasim(args, name);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(slow_redirect_scenarios)

BOOST_AUTO_TEST_CASE(secure_device_abandons_a_trickle_over_every_protocol) {
  for (const std::string protocol : {"http", "coap", "mqtt"}) {
    const auto run = Run("slow/trickle", protocol, "", "trickle-secure-" + protocol);
    const auto& scenario = OnlyScenario(run);
    BOOST_TEST_INFO(protocol << ": " << run.output);
    BOOST_TEST(scenario.at("verdict") == "pass");
    BOOST_TEST(run.exit_code == 0);
    BOOST_TEST_MESSAGE("slow/trickle@" << protocol << " secure: "
                                       << scenario.at("duration_ms") << " ms");
  }
}

BOOST_AUTO_TEST_CASE(no_timeout_fails_the_trickle_at_the_time_limit) {
  for (const std::string protocol : {"http", "coap", "mqtt"}) {
    const auto run = Run("slow/trickle", protocol, "no-timeout", "trickle-flawed-" + protocol);
    const auto& scenario = OnlyScenario(run);
    BOOST_TEST_INFO(protocol << ": " << run.output);
    BOOST_TEST(scenario.at("verdict") == "fail");
    BOOST_TEST(scenario.at("reason").get<std::string>().find("timed out") != std::string::npos,
               scenario.at("reason"));
    BOOST_TEST(run.exit_code == 1);
    BOOST_TEST_MESSAGE("slow/trickle@" << protocol << " no-timeout: "
                                       << scenario.at("duration_ms") << " ms");
  }
}

BOOST_AUTO_TEST_CASE(redirected_image_is_verified_and_skip_digest_fails) {
  for (const std::string protocol : {"http", "mqtt"}) {
    const auto secure = Run("redirect/other-location", protocol, "", "redirect-secure-" + protocol);
    BOOST_TEST_INFO(protocol << ": " << secure.output);
    BOOST_TEST(OnlyScenario(secure).at("verdict") == "pass");

    const auto flawed =
        Run("redirect/other-location", protocol, "skip-digest", "redirect-flawed-" + protocol);
    BOOST_TEST_INFO(protocol << ": " << flawed.output);
    BOOST_TEST(OnlyScenario(flawed).at("verdict") == "fail");
  }
}

BOOST_AUTO_TEST_SUITE_END()
