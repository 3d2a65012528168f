#define BOOST_TEST_MODULE attack_replay
#include <boost/test/unit_test.hpp>

#include "support/plugins_fake_env.hpp"

using otasim::testing::FakeEnv;
using otasim::testing::PluginCatalog;

namespace {

struct Fixture {
  Fixture() {
    env.AddRelease({.name = "v1", .version = "1.0.0", .sequence = 1});
    env.AddRelease({.name = "v2", .version = "2.0.0", .sequence = 2});
    env.RecordServedManifest(env.FindRelease("v1")->envelope);
    env.RecordServedManifest(env.FindRelease("v2")->envelope);
  }
  FakeEnv env;
};

std::string ServeWith(FakeEnv& env, const std::map<std::string, std::string>& raw) {
  auto attacker = PluginCatalog::Get().MakeAttacker("attack.replay", raw);
  BOOST_REQUIRE(attacker.ok());
  auto prepared = (*attacker)->Prepare(env);
  BOOST_REQUIRE_MESSAGE(prepared.ok(), (prepared.ok() ? "" : prepared.error().What()));
  otasim::ManifestDelivery delivery{"honest"};
  BOOST_REQUIRE((*attacker)->OnManifest(env, {.protocol = "http", .resource = "manifest"},
                                        delivery).ok());
  return delivery.envelope;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(latest_capture_is_served_byte_for_byte, Fixture) {
  BOOST_TEST(ServeWith(env, {}) == env.FindRelease("v2")->envelope);
  auto events = env.Events("attacker", "replay");
  BOOST_REQUIRE_EQUAL(events.size(), 1u);
  BOOST_TEST(events[0]["capture"].get<int>() == 1);
}

BOOST_FIXTURE_TEST_CASE(nth_capture_is_served, Fixture) {
  BOOST_TEST(ServeWith(env, {{"capture", "0"}}) == env.FindRelease("v1")->envelope);
  BOOST_TEST(ServeWith(env, {{"capture", "-2"}}) == env.FindRelease("v1")->envelope);
}

BOOST_FIXTURE_TEST_CASE(capture_is_fixed_at_prepare, Fixture) {
  auto attacker = PluginCatalog::Get().MakeAttacker("attack.replay");
  BOOST_REQUIRE(attacker.ok());
  BOOST_REQUIRE((*attacker)->Prepare(env).ok());
  env.RecordServedManifest("something served later");
  otasim::ManifestDelivery delivery{"honest"};
  BOOST_REQUIRE((*attacker)->OnManifest(env, {}, delivery).ok());
  BOOST_TEST(delivery.envelope == env.FindRelease("v2")->envelope);
}

BOOST_AUTO_TEST_CASE(nothing_captured_is_an_error) {
  FakeEnv env;
  auto attacker = PluginCatalog::Get().MakeAttacker("attack.replay");
  BOOST_REQUIRE(attacker.ok());
  BOOST_TEST(!(*attacker)->Prepare(env).ok());
  otasim::ManifestDelivery delivery{"honest"};
  BOOST_TEST(!(*attacker)->OnManifest(env, {}, delivery).ok());
}

BOOST_FIXTURE_TEST_CASE(missing_capture_is_an_error, Fixture) {
  for (const char* capture : {"2", "-3"}) {
    auto attacker = PluginCatalog::Get().MakeAttacker("attack.replay", {{"capture", capture}});
    BOOST_REQUIRE(attacker.ok());
    BOOST_TEST(!(*attacker)->Prepare(env).ok(), "capture " << capture);
  }
}

BOOST_AUTO_TEST_CASE(bad_params_are_rejected) {
  const auto& catalog = PluginCatalog::Get();
  BOOST_TEST(!catalog.Bind("attack.replay", {{"capture", "latest"}}).ok());
  BOOST_TEST(!catalog.Bind("attack.replay", {{"captur", "1"}}).ok());
  BOOST_TEST(catalog.Bind("attack.replay", {{"capture", "3"}}).ok());
}
