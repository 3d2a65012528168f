#define BOOST_TEST_MODULE attack_slow
#include <boost/test/unit_test.hpp>
// attack.slow through server.http-poll over real loopback TLS: the body is paced (an upper bound
// on what can arrive in a bounded time, never a lower one, so a slow machine cannot fail it),
// it still carries the exact image, and the server records that it trickled.

#include <nlohmann/json.hpp>

#include "http_client.hpp"
#include "support/plugins_fake_env.hpp"
#include "transport/coap/coap_client.hpp"

using otasim::testing::FakeEnv;
using otasim::testing::PluginCatalog;
namespace http = otasim::http;
namespace coap = otasim::coap;

namespace {

constexpr std::uint64_t kSize = 4096;

struct Fixture {
  Fixture() : env({.use_tls = true}) {
    env.AddRelease({.name = "v2", .version = "2.0.0", .sequence = 2, .size = kSize});
    env.Publish("v2");
    auto made = PluginCatalog::Get().MakeServer("server.http-poll", {{"io_timeout", "3s"}});
    BOOST_REQUIRE(made.ok());
    server = std::move(made).value();
    auto endpoint = server->Start(env);
    BOOST_REQUIRE(endpoint.ok());
    image_url = (*endpoint)["base_url"].get<std::string>() + "/images/v2.bin";
    client.ca_pem = env.tls().ca_cert;
    client.timeout = std::chrono::milliseconds(3000);
  }
  ~Fixture() { server->Stop(); }

  void Attack(const std::map<std::string, std::string>& params) {
    auto made = PluginCatalog::Get().MakeAttacker("attack.slow", params);
    BOOST_REQUIRE_MESSAGE(made.ok(), (made.ok() ? "" : made.error().What()));
    attacker = std::move(made).value();
    env.SetAttackers({attacker.get()});
  }

  // Fetches the image, giving up after `total`; returns the bytes that arrived.
  std::string FetchFor(std::chrono::milliseconds total, std::size_t* largest_read = nullptr) {
    http::ClientOptions options = client;
    options.total_timeout = total;
    std::string bytes;
    (void)http::Fetch({.url = image_url}, options, [&](const std::uint8_t* data, std::size_t size) {
      bytes.append(reinterpret_cast<const char*>(data), size);
      if (largest_read) *largest_read = std::max(*largest_read, size);
      return true;
    });
    return bytes;
  }

  FakeEnv env;
  std::unique_ptr<otasim::UpdateServerModel> server;
  std::unique_ptr<otasim::Attacker> attacker;
  std::string image_url;
  http::ClientOptions client;
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_trickle_delivers_no_more_than_its_rate, Fixture) {
  Attack({{"bytes_per_second", "64"}});
  // 700 ms at 64 B/s: the first 16-byte slice at once, then one every 250 ms: at most 64 bytes.
  const std::string got = FetchFor(std::chrono::milliseconds(700));
  BOOST_TEST(got.size() <= 64u);
  BOOST_TEST(got.size() >= 16u);
  BOOST_TEST(got == env.ImageBytes("v2").substr(0, got.size()));
  BOOST_REQUIRE(server->WaitIdle(std::chrono::seconds(5)).ok());
  const auto served = env.Events("server", "image-served");
  BOOST_REQUIRE(served.size() == 1u);
  BOOST_TEST(served[0].at("trickle_bytes_per_second") == 64);
  BOOST_TEST(served[0].at("end") == "peer-gone");
  BOOST_TEST(env.Events("attacker", "slow").size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_fast_trickle_still_carries_the_exact_image, Fixture) {
  Attack({{"bytes_per_second", "32KiB"}});
  std::size_t largest = 0;
  const std::string got = FetchFor(std::chrono::seconds(20), &largest);
  BOOST_TEST(got == env.ImageBytes("v2"));
  BOOST_TEST(largest <= 32u * 1024 / 10);  // paced in slices, never the whole body at once
  BOOST_REQUIRE(server->WaitIdle(std::chrono::seconds(5)).ok());
  const auto exchanges = env.exchanges();
  BOOST_REQUIRE(exchanges.size() == 1u);
  BOOST_TEST(exchanges[0].end == "complete");
  BOOST_TEST(exchanges[0].bytes_sent == kSize);
}

BOOST_FIXTURE_TEST_CASE(after_bytes_come_at_full_speed_then_the_trickle, Fixture) {
  Attack({{"bytes_per_second", "64"}, {"after_bytes", "1KiB"}});
  const std::string got = FetchFor(std::chrono::milliseconds(700));
  BOOST_TEST(got.size() >= 1024u);
  BOOST_TEST(got.size() <= 1024u + 64u);
  BOOST_TEST(got == env.ImageBytes("v2").substr(0, got.size()));
}

BOOST_AUTO_TEST_CASE(slow_declares_its_protocols_and_rejects_a_zero_rate) {
  const auto* info = PluginCatalog::Get().Find("attack.slow");
  BOOST_REQUIRE(info != nullptr);
  BOOST_TEST(info->protocols == (std::vector<std::string>{"http", "coap", "mqtt"}));
  FakeEnv env;
  env.AddRelease({.name = "v2", .version = "2.0.0", .sequence = 2, .size = kSize});
  auto attacker = PluginCatalog::Get().MakeAttacker("attack.slow", {{"bytes_per_second", "0"}});
  BOOST_REQUIRE(attacker.ok());
  auto delivery = otasim::testing::MakeImageDelivery(*env.FindRelease("v2"));
  otasim::RequestInfo request{.protocol = "http", .resource = "image"};
  BOOST_TEST(!(*attacker)->OnImage(env, request, delivery).ok());
}

// server.coap-poll paces its Block2 answers: each block comes only when the rate allows.
BOOST_AUTO_TEST_CASE(coap_blocks_are_paced_and_carry_the_image) {
  FakeEnv env;
  env.AddRelease({.name = "v2", .version = "2.0.0", .sequence = 2, .size = kSize});
  env.Publish("v2");
  auto attacker = PluginCatalog::Get().MakeAttacker("attack.slow", {{"bytes_per_second", "256"}});
  BOOST_REQUIRE(attacker.ok());
  env.SetAttackers({attacker->get()});
  auto made = PluginCatalog::Get().MakeServer("server.coap-poll",
                                              {{"security", "none"}, {"block_size", "64"}});
  BOOST_REQUIRE(made.ok());
  auto server = std::move(made).value();
  auto endpoint = server->Start(env);
  BOOST_REQUIRE_MESSAGE(endpoint.ok(), (endpoint.ok() ? "" : endpoint.error().What()));
  const std::string uri = (*endpoint)["base_uri"].get<std::string>();
  const auto port = static_cast<std::uint16_t>(
      std::stoi(uri.substr(uri.rfind(':') + 1, uri.find('/', uri.rfind(':')) - uri.rfind(':') - 1)));

  coap::ClientOptions options;
  options.exchange_timeout = std::chrono::milliseconds(3000);
  options.session_timeout = std::chrono::milliseconds(30000);
  auto client = coap::Connect("127.0.0.1", port, options);
  BOOST_REQUIRE(client.ok());
  // Read for 600 ms (checked as each block arrives), then stop: at 256 B/s that is a handful
  // of 64-byte blocks, never the 4 KiB image.
  std::string got;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(600);
  auto result = (*client)->GetBlockwise(
      {.path = "/dev-0001/images/v2.bin", .szx = 2},
      [&](std::uint64_t, const std::uint8_t* data, std::size_t size) {
        got.append(reinterpret_cast<const char*>(data), size);
        return std::chrono::steady_clock::now() < until;
      });
  BOOST_REQUIRE(result.ok());
  BOOST_TEST(got.size() >= 64u);
  BOOST_TEST(got.size() <= 320u);
  BOOST_TEST(got == env.ImageBytes("v2").substr(0, got.size()));
  BOOST_TEST(env.Events("server", "image-trickled").size() == 1u);
  client->reset();
  server->Stop();
}
