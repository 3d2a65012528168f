#define BOOST_TEST_MODULE attack_endless_data
#include <boost/test/unit_test.hpp>

#include "support/plugins_fake_env.hpp"

using otasim::testing::Drain;
using otasim::testing::FakeEnv;
using otasim::testing::MakeImageDelivery;
using otasim::testing::PluginCatalog;

namespace {

constexpr std::uint64_t kSize = 10000;

struct Fixture {
  Fixture() {
    env.AddRelease({.name = "v2", .version = "2.0.0", .sequence = 2, .size = kSize});
    env.Publish("v2");
  }

  otasim::ImageDelivery Deliver(const std::map<std::string, std::string>& raw,
                                std::uint64_t offset = 0) {
    auto attacker = PluginCatalog::Get().MakeAttacker("attack.endless-data", raw);
    BOOST_REQUIRE(attacker.ok());
    BOOST_REQUIRE((*attacker)->Prepare(env).ok());
    auto delivery = MakeImageDelivery(*env.FindRelease("v2"), offset);
    BOOST_REQUIRE((*attacker)->OnImage(env, {}, delivery).ok());
    return delivery;
  }

  std::string Body(otasim::ImageDelivery& delivery) {
    auto bytes = Drain(*delivery.source, 1ull << 28);
    BOOST_REQUIRE(bytes.ok());
    return *bytes;
  }

  FakeEnv env;
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(extra_appends_declared_random_bytes, Fixture) {
  auto delivery = Deliver({{"extra", "3000"}});
  BOOST_TEST(!delivery.close_delimited);
  BOOST_TEST(delivery.declared_length.value() == kSize + 3000);
  std::string body = Body(delivery);
  BOOST_REQUIRE_EQUAL(body.size(), kSize + 3000);
  BOOST_TEST(body.substr(0, kSize) == env.ImageBytes("v2"));
  BOOST_TEST(body.substr(kSize) != std::string(3000, '\0'));

  // Seeded from the session: the same bytes every time.
  auto again = Deliver({{"extra", "3000"}});
  BOOST_TEST(Body(again) == body);
}

BOOST_FIXTURE_TEST_CASE(extra_after_a_range_counts_the_remaining_image, Fixture) {
  auto delivery = Deliver({{"extra", "10"}}, 4000);
  BOOST_TEST(delivery.declared_length.value() == kSize - 4000 + 10);
  std::string body = Body(delivery);
  BOOST_TEST(body.size() == kSize - 4000 + 10);
  BOOST_TEST(body.substr(0, kSize - 4000) == env.ImageBytes("v2").substr(4000));
}

BOOST_FIXTURE_TEST_CASE(default_extra_is_64_mib, Fixture) {
  auto delivery = Deliver({});
  BOOST_TEST(delivery.declared_length.value() == kSize + (64ull << 20));
}

BOOST_FIXTURE_TEST_CASE(endless_has_no_length_and_stops_at_max_bytes, Fixture) {
  auto delivery = Deliver({{"mode", "endless"}, {"max_bytes", "1MiB"}});
  BOOST_TEST(delivery.close_delimited);
  BOOST_TEST(!delivery.declared_length.has_value());
  BOOST_TEST(!delivery.source->Length().has_value());
  std::string body = Body(delivery);
  BOOST_TEST(body.size() == 1u << 20);
  BOOST_TEST(body.substr(0, kSize) == env.ImageBytes("v2"));
}

BOOST_FIXTURE_TEST_CASE(endless_cap_below_the_image_size_still_holds, Fixture) {
  auto delivery = Deliver({{"mode", "endless"}, {"max_bytes", "100"}});
  BOOST_TEST(Body(delivery) == env.ImageBytes("v2").substr(0, 100));
}

BOOST_FIXTURE_TEST_CASE(short_leaves_out_missing_bytes, Fixture) {
  auto delivery = Deliver({{"mode", "short"}, {"missing", "1KiB"}});
  BOOST_TEST(delivery.declared_length.value() == kSize - 1024);
  BOOST_TEST(Body(delivery) == env.ImageBytes("v2").substr(0, kSize - 1024));

  auto everything_missing = Deliver({{"mode", "short"}, {"missing", "1MiB"}});
  BOOST_TEST(everything_missing.declared_length.value() == 0u);
  BOOST_TEST(Body(everything_missing).empty());
}

BOOST_AUTO_TEST_CASE(bad_params_are_rejected) {
  const auto& catalog = PluginCatalog::Get();
  BOOST_TEST(!catalog.Bind("attack.endless-data", {{"mode", "huge"}}).ok());
  BOOST_TEST(!catalog.Bind("attack.endless-data", {{"extra", "lots"}}).ok());
  BOOST_TEST(!catalog.Bind("attack.endless-data", {{"max_bytes", "-1"}}).ok());
  BOOST_TEST(
      catalog.Bind("attack.endless-data", {{"mode", "endless"}, {"max_bytes", "2GiB"}}).ok());
}
