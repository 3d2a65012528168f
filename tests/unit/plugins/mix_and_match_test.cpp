#define BOOST_TEST_MODULE attack_mix_and_match
#include <boost/test/unit_test.hpp>

#include "support/plugins_fake_env.hpp"

using otasim::testing::Drain;
using otasim::testing::FakeEnv;
using otasim::testing::MakeImageDelivery;
using otasim::testing::PluginCatalog;

namespace {

struct Fixture {
  Fixture() {
    env.AddRelease({.name = "v2", .version = "2.0.0", .sequence = 2, .size = 5000});
    env.AddRelease({.name = "v3", .version = "3.0.0", .sequence = 3, .size = 3000});
    env.Publish("v3");
    auto made = PluginCatalog::Get().MakeAttacker("attack.mix-and-match",
                                                  {{"manifest", "v3"}, {"image", "v2"}});
    BOOST_REQUIRE(made.ok());
    attacker = std::move(made).value();
    BOOST_REQUIRE(attacker->Prepare(env).ok());
  }
  FakeEnv env;
  std::unique_ptr<otasim::Attacker> attacker;
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(manifest_of_one_image_of_another, Fixture) {
  otasim::ManifestDelivery manifest{"honest"};
  BOOST_REQUIRE(attacker->OnManifest(env, {}, manifest).ok());
  BOOST_TEST(manifest.envelope == env.FindRelease("v3")->envelope);

  auto image = MakeImageDelivery(*env.FindRelease("v3"));
  BOOST_REQUIRE(attacker->OnImage(env, {}, image).ok());
  BOOST_TEST(image.release->name == "v2");
  BOOST_TEST(image.source->Length().value() == 5000u);
  auto bytes = Drain(*image.source);
  BOOST_REQUIRE(bytes.ok());
  BOOST_TEST(*bytes == env.ImageBytes("v2"));
}

BOOST_FIXTURE_TEST_CASE(resumed_request_gets_the_other_image_from_the_same_offset, Fixture) {
  auto image = MakeImageDelivery(*env.FindRelease("v3"), 1000);
  BOOST_REQUIRE(attacker->OnImage(env, {}, image).ok());
  auto bytes = Drain(*image.source);
  BOOST_REQUIRE(bytes.ok());
  BOOST_TEST(*bytes == env.ImageBytes("v2").substr(1000));
}

BOOST_AUTO_TEST_CASE(both_releases_are_required_and_must_exist) {
  BOOST_TEST(!PluginCatalog::Get().Bind("attack.mix-and-match", {{"manifest", "v3"}}).ok());
  FakeEnv env;
  env.AddRelease({.name = "v3"});
  auto attacker = PluginCatalog::Get().MakeAttacker("attack.mix-and-match",
                                                    {{"manifest", "v3"}, {"image", "nope"}});
  BOOST_REQUIRE(attacker.ok());
  BOOST_TEST(!(*attacker)->Prepare(env).ok());
}
