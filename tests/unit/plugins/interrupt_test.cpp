#define BOOST_TEST_MODULE attack_interrupt
#include <boost/test/unit_test.hpp>

#include "support/plugins_fake_env.hpp"

using otasim::testing::FakeEnv;
using otasim::testing::MakeImageDelivery;
using otasim::testing::PluginCatalog;

namespace {

constexpr std::uint64_t kSize = 8000;

struct Fixture {
  Fixture() { env.AddRelease({.name = "v2", .version = "2.0.0", .sequence = 2, .size = kSize}); }

  // cut_after of each of `n` consecutive image responses through one attacker instance.
  std::vector<std::optional<std::uint64_t>> Cuts(const std::map<std::string, std::string>& raw,
                                                 int n, std::uint64_t offset = 0) {
    auto attacker = PluginCatalog::Get().MakeAttacker("attack.interrupt", raw);
    BOOST_REQUIRE(attacker.ok());
    BOOST_REQUIRE((*attacker)->Prepare(env).ok());
    std::vector<std::optional<std::uint64_t>> cuts;
    for (int i = 0; i < n; ++i) {
      auto delivery = MakeImageDelivery(*env.FindRelease("v2"), offset);
      BOOST_REQUIRE((*attacker)->OnImage(env, {}, delivery).ok());
      cuts.push_back(delivery.cut_after);
    }
    return cuts;
  }

  FakeEnv env;
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(cuts_exactly_times_responses_then_lets_through, Fixture) {
  auto cuts = Cuts({{"after", "100"}, {"times", "3"}}, 6);
  for (int i = 0; i < 3; ++i) BOOST_TEST(cuts[i].value() == 100u);
  for (int i = 3; i < 6; ++i) BOOST_TEST(!cuts[i].has_value());
  BOOST_TEST(env.Events("attacker", "interrupt").size() == 3u);
}

BOOST_FIXTURE_TEST_CASE(default_cuts_once_at_half_the_image, Fixture) {
  auto cuts = Cuts({}, 2);
  BOOST_TEST(cuts[0].value() == kSize / 2);
  BOOST_TEST(!cuts[1].has_value());
}

BOOST_FIXTURE_TEST_CASE(percent_counts_from_the_response_start, Fixture) {
  auto cuts = Cuts({{"at", "25"}}, 1, 6000);
  BOOST_TEST(cuts[0].value() == kSize / 4);
}

BOOST_FIXTURE_TEST_CASE(after_overrides_at, Fixture) {
  auto cuts = Cuts({{"after", "1KiB"}, {"at", "90"}}, 1);
  BOOST_TEST(cuts[0].value() == 1024u);
}

BOOST_FIXTURE_TEST_CASE(zero_times_never_cuts, Fixture) {
  auto cuts = Cuts({{"times", "0"}}, 2);
  BOOST_TEST(!cuts[0].has_value());
  BOOST_TEST(!cuts[1].has_value());
}

BOOST_FIXTURE_TEST_CASE(manifests_pass_untouched, Fixture) {
  auto attacker = PluginCatalog::Get().MakeAttacker("attack.interrupt");
  BOOST_REQUIRE(attacker.ok());
  otasim::ManifestDelivery delivery{"honest"};
  BOOST_REQUIRE((*attacker)->OnManifest(env, {}, delivery).ok());
  BOOST_TEST(delivery.envelope == "honest");
}

BOOST_AUTO_TEST_CASE(bad_params_are_rejected) {
  const auto& catalog = PluginCatalog::Get();
  BOOST_TEST(!catalog.Bind("attack.interrupt", {{"times", "twice"}}).ok());
  BOOST_TEST(!catalog.Bind("attack.interrupt", {{"after", "10 bytes"}}).ok());
  BOOST_TEST(!catalog.Bind("attack.interrupt", {{"at", "101"}}).ok());
}
