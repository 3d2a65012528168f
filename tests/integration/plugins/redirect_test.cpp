#define BOOST_TEST_MODULE attack_redirect
#include <boost/test/unit_test.hpp>
// attack.redirect through server.http-poll over real loopback: the image request is answered
// with a 302 to the attacker's own host, which serves other bytes of exactly the image's size.
// (The fake environment issues no certificates, so the mirror is plain http here.)

#include <nlohmann/json.hpp>

#include "http_client.hpp"
#include "support/plugins_fake_env.hpp"

using otasim::testing::FakeEnv;
using otasim::testing::PluginCatalog;
namespace http = otasim::http;

namespace {

constexpr std::uint64_t kSize = 8192;

struct Fixture {
  Fixture() {
    env.AddRelease({.name = "v2", .version = "2.0.0", .sequence = 2, .size = kSize});
    env.AddRelease({.name = "v3", .version = "3.0.0", .sequence = 3, .size = kSize});
    env.Publish("v3");
    auto made = PluginCatalog::Get().MakeServer("server.http-poll", {{"io_timeout", "3s"}});
    BOOST_REQUIRE(made.ok());
    server = std::move(made).value();
    auto endpoint = server->Start(env);
    BOOST_REQUIRE(endpoint.ok());
    image_url = (*endpoint)["base_url"].get<std::string>() + "/images/v3.bin";
    client.timeout = std::chrono::milliseconds(3000);
  }
  ~Fixture() {
    if (attacker) attacker->StopTransport();
    server->Stop();
  }

  void Attack(const std::map<std::string, std::string>& params) {
    auto made = PluginCatalog::Get().MakeAttacker("attack.redirect", params);
    BOOST_REQUIRE_MESSAGE(made.ok(), (made.ok() ? "" : made.error().What()));
    attacker = std::move(made).value();
    auto prepared = attacker->Prepare(env);
    BOOST_REQUIRE_MESSAGE(prepared.ok(), (prepared.ok() ? "" : prepared.error().What()));
    env.SetAttackers({attacker.get()});
  }

  http::ClientResponse Get(const std::string& url) {
    auto response = http::Fetch({.url = url, .max_body = 1 << 20}, client);
    BOOST_REQUIRE_MESSAGE(response.ok(), (response.ok() ? "" : response.error().What()));
    return std::move(response).value();
  }

  FakeEnv env;
  std::unique_ptr<otasim::UpdateServerModel> server;
  std::unique_ptr<otasim::Attacker> attacker;
  std::string image_url;
  http::ClientOptions client;
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(image_request_is_redirected_to_a_mirror_serving_another_release, Fixture) {
  Attack({{"content", "other-release"}, {"release", "v2"}, {"scheme", "auto"}});
  const auto redirect = Get(image_url);
  BOOST_TEST(redirect.status == 302);
  const auto location = redirect.Header("location");
  BOOST_REQUIRE(location.has_value());
  BOOST_TEST(location->starts_with("http://127.0.0.1:"));
  BOOST_TEST(location->ends_with("/mirror/v3.bin"));
  BOOST_TEST(env.Events("server", "image-redirected").size() == 1u);
  BOOST_TEST(env.Events("attacker", "redirect-plain").size() == 1u);  // no certificate issued

  const auto mirrored = Get(*location);
  BOOST_TEST(mirrored.status == 200);
  BOOST_TEST(mirrored.content_length.value_or(0) == kSize);
  BOOST_TEST(mirrored.body == env.ImageBytes("v2"));
  BOOST_TEST(mirrored.body != env.ImageBytes("v3"));
  BOOST_REQUIRE(server->WaitIdle(std::chrono::seconds(5)).ok());
  const auto exchanges = env.exchanges();
  BOOST_REQUIRE(exchanges.size() == 1u);
  BOOST_TEST(exchanges[0].status == 302);
  BOOST_TEST(exchanges[0].bytes_sent == 0u);
}

BOOST_FIXTURE_TEST_CASE(garbage_has_the_image_size_and_is_not_the_image, Fixture) {
  Attack({{"content", "garbage"}});
  const auto redirect = Get(image_url);
  BOOST_REQUIRE(redirect.status == 302);
  const auto mirrored = Get(*redirect.Header("location"));
  BOOST_TEST(mirrored.body.size() == kSize);
  BOOST_TEST(mirrored.body != env.ImageBytes("v3"));
  BOOST_TEST(mirrored.body != env.ImageBytes("v2"));
}

BOOST_FIXTURE_TEST_CASE(https_is_an_error_when_the_session_issues_no_certificate, Fixture) {
  auto made = PluginCatalog::Get().MakeAttacker("attack.redirect",
                                                {{"content", "garbage"}, {"scheme", "https"}});
  BOOST_REQUIRE(made.ok());
  BOOST_TEST(!(*made)->Prepare(env).ok());
}

BOOST_FIXTURE_TEST_CASE(other_release_needs_a_known_release, Fixture) {
  auto made = PluginCatalog::Get().MakeAttacker("attack.redirect",
                                                {{"content", "other-release"}, {"release", "v9"}});
  BOOST_REQUIRE(made.ok());
  BOOST_TEST(!(*made)->Prepare(env).ok());
}
