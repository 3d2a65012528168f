#define BOOST_TEST_MODULE fault_power_loss
#include <boost/test/unit_test.hpp>

#include "support/plugins_fake_env.hpp"

using otasim::testing::FakeEnv;
using otasim::testing::PluginCatalog;

namespace {

otasim::PowerCut Plan(const std::map<std::string, std::string>& raw) {
  auto fault = PluginCatalog::Get().MakeFault("fault.power-loss", raw);
  BOOST_REQUIRE(fault.ok());
  auto plan = (*fault)->PowerCutPlan();
  BOOST_REQUIRE(plan.has_value());
  return *plan;
}

}  // namespace

BOOST_AUTO_TEST_CASE(defaults_to_half_way_through_the_install) {
  auto plan = Plan({});
  BOOST_TEST(plan.stage == "install");
  BOOST_TEST(plan.percent == 50.0);
}

BOOST_AUTO_TEST_CASE(stage_and_percent_are_passed_on) {
  auto plan = Plan({{"stage", "download"}, {"at", "30%"}});
  BOOST_TEST(plan.stage == "download");
  BOOST_TEST(plan.percent == 30.0);
}

BOOST_AUTO_TEST_CASE(commit_is_always_at_zero) {
  auto plan = Plan({{"stage", "commit"}, {"at", "70"}});
  BOOST_TEST(plan.stage == "commit");
  BOOST_TEST(plan.percent == 0.0);
}

BOOST_AUTO_TEST_CASE(prepare_records_the_plan) {
  FakeEnv env;
  auto fault = PluginCatalog::Get().MakeFault("fault.power-loss", {{"at", "10"}});
  BOOST_REQUIRE(fault.ok());
  BOOST_REQUIRE((*fault)->Prepare(env).ok());
  auto events = env.Events("fault", "power-loss-planned");
  BOOST_REQUIRE_EQUAL(events.size(), 1u);
  BOOST_TEST(events[0]["stage"] == "install");
}

BOOST_AUTO_TEST_CASE(bad_params_are_rejected) {
  const auto& catalog = PluginCatalog::Get();
  BOOST_TEST(!catalog.Bind("fault.power-loss", {{"stage", "reboot"}}).ok());
  BOOST_TEST(!catalog.Bind("fault.power-loss", {{"at", "101"}}).ok());
}
