#define BOOST_TEST_MODULE attack_downgrade_wrong_class_freeze
#include <boost/test/unit_test.hpp>

#include "support/plugins_fake_env.hpp"

using otasim::testing::FakeEnv;
using otasim::testing::PluginCatalog;

// downgrade, wrong-class and freeze share one shape: serve a named release's genuine manifest.
namespace {

struct Fixture {
  Fixture() {
    env.AddRelease({.name = "v1", .version = "1.0.0", .sequence = 1,
                    .expires = "2026-01-02T00:00:00Z"});
    env.AddRelease({.name = "v2", .version = "2.0.0", .sequence = 2});
    env.AddRelease({.name = "other", .version = "2.0.0", .sequence = 2,
                    .class_id = "otasim-class-b"});
    env.Publish("v2");
  }
  FakeEnv env;
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(each_serves_the_named_release, Fixture) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"attack.downgrade", "v1"}, {"attack.wrong-class", "other"}, {"attack.freeze", "v1"}};
  for (const auto& [id, release] : cases) {
    auto attacker = PluginCatalog::Get().MakeAttacker(id, {{"release", release}});
    BOOST_REQUIRE_MESSAGE(attacker.ok(), id);
    BOOST_REQUIRE((*attacker)->Prepare(env).ok());
    otasim::ManifestDelivery delivery{env.PublishedRelease()->envelope};
    BOOST_REQUIRE((*attacker)->OnManifest(env, {}, delivery).ok());
    BOOST_TEST(delivery.envelope == env.FindRelease(release)->envelope, id);
  }
  BOOST_TEST(env.Events("attacker", "downgrade").at(0)["sequence"].get<int>() == 1);
  BOOST_TEST(env.Events("attacker", "wrong-class").at(0)["class_id"] == "otasim-class-b");
  auto freeze = env.Events("attacker", "freeze").at(0);
  BOOST_TEST(freeze["expires"] == "2026-01-02T00:00:00Z");
  BOOST_TEST(freeze["device_now"] == env.DeviceNow());
}

BOOST_FIXTURE_TEST_CASE(unknown_release_is_an_error, Fixture) {
  for (const char* id : {"attack.downgrade", "attack.wrong-class", "attack.freeze"}) {
    auto attacker = PluginCatalog::Get().MakeAttacker(id, {{"release", "v0"}});
    BOOST_REQUIRE(attacker.ok());
    BOOST_TEST(!(*attacker)->Prepare(env).ok(), id);
    otasim::ManifestDelivery delivery{"honest"};
    BOOST_TEST(!(*attacker)->OnManifest(env, {}, delivery).ok(), id);
    BOOST_TEST(delivery.envelope == "honest");
  }
}

BOOST_AUTO_TEST_CASE(release_is_required) {
  for (const char* id : {"attack.downgrade", "attack.wrong-class", "attack.freeze"}) {
    BOOST_TEST(!PluginCatalog::Get().Bind(id, {}).ok(), id);
    BOOST_TEST(!PluginCatalog::Get().Bind(id, {{"release", "v1"}, {"extra", "1"}}).ok(), id);
  }
}
