#define BOOST_TEST_MODULE server_http_poll
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "http_client.hpp"
#include "support/plugins_fake_env.hpp"

using otasim::testing::FakeEnv;
using otasim::testing::FakeEnvOptions;
using otasim::testing::PluginCatalog;
namespace http = otasim::http;

namespace {

constexpr std::uint64_t kSize = 64 * 1024;
constexpr auto kWait = std::chrono::seconds(5);

// A TLS server.http-poll over a fake environment with releases v1 and v2 (not yet published).
struct Fixture {
  explicit Fixture(FakeEnvOptions options = {.use_tls = true}) : env(options) {
    env.AddRelease({.name = "v1", .version = "1.0.0", .sequence = 1, .size = kSize});
    env.AddRelease({.name = "v2", .version = "2.0.0", .sequence = 2, .size = kSize});
    auto made = PluginCatalog::Get().MakeServer("server.http-poll", {{"io_timeout", "3s"}});
    BOOST_REQUIRE(made.ok());
    server = std::move(made).value();
    auto endpoint = server->Start(env);
    BOOST_REQUIRE_MESSAGE(endpoint.ok(), (endpoint.ok() ? "" : endpoint.error().What()));
    base_url = (*endpoint)["base_url"].get<std::string>();
    client.ca_pem = env.tls().ca_cert;
    client.timeout = std::chrono::milliseconds(3000);
  }
  ~Fixture() { server->Stop(); }

  http::ClientResponse Fetch(const std::string& path,
                             std::map<std::string, std::string> headers = {},
                             const std::string& method = "GET", const std::string& body = "") {
    http::ClientRequest request{.method = method, .url = base_url + "/" + path,
                                .headers = std::move(headers), .body = body,
                                .max_body = 64 << 20};
    auto response = http::Fetch(request, client);
    BOOST_REQUIRE_MESSAGE(response.ok(), (response.ok() ? "" : response.error().What()));
    return std::move(response).value();
  }

  // The exchanges, once every response has ended.
  std::vector<otasim::Exchange> Exchanges() {
    BOOST_REQUIRE(server->WaitIdle(kWait).ok());
    return env.exchanges();
  }

  std::unique_ptr<otasim::Attacker> Attacker(const std::string& id,
                                             const std::map<std::string, std::string>& raw) {
    auto attacker = PluginCatalog::Get().MakeAttacker(id, raw);
    BOOST_REQUIRE(attacker.ok());
    return std::move(attacker).value();
  }

  FakeEnv env;
  std::unique_ptr<otasim::UpdateServerModel> server;
  std::string base_url;
  http::ClientOptions client;
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(base_url_names_the_device_over_tls, Fixture) {
  BOOST_TEST(base_url.starts_with("https://127.0.0.1:"));
  BOOST_TEST(base_url.ends_with("/dev-0001"));
}

BOOST_FIXTURE_TEST_CASE(manifest_is_204_until_published_then_200, Fixture) {
  BOOST_TEST(Fetch("manifest").status == 204);
  BOOST_TEST(env.ServedManifests().empty());

  env.Publish("v2");
  auto response = Fetch("manifest");
  BOOST_TEST(response.status == 200);
  BOOST_TEST(response.headers["content-type"] == "application/json");
  BOOST_TEST(response.body == env.FindRelease("v2")->envelope);
  BOOST_REQUIRE_EQUAL(env.ServedManifests().size(), 1u);
  BOOST_TEST(env.ServedManifests()[0] == response.body);

  auto exchanges = Exchanges();
  BOOST_REQUIRE_EQUAL(exchanges.size(), 2u);
  BOOST_TEST(exchanges[0].kind == "manifest");
  BOOST_TEST(exchanges[0].status == 204);
  BOOST_TEST(exchanges[1].status == 200);
  BOOST_TEST(exchanges[1].release == "v2");
  BOOST_TEST(exchanges[1].bytes_sent == response.body.size());
  BOOST_TEST(exchanges[1].method == "GET");
  BOOST_TEST(env.Events("server", "manifest-served").size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(image_whole_and_resumed, Fixture) {
  std::string image = env.ImageBytes("v2");
  auto whole = Fetch("images/v2.bin");
  BOOST_TEST(whole.status == 200);
  BOOST_TEST(whole.content_length.value() == kSize);
  BOOST_TEST((whole.body == image));

  auto resumed = Fetch("images/v2.bin", {{"range", "bytes=1000-"}});
  BOOST_TEST(resumed.status == 206);
  BOOST_TEST(resumed.headers["content-range"] ==
             "bytes 1000-" + std::to_string(kSize - 1) + "/" + std::to_string(kSize));
  BOOST_TEST((resumed.body == image.substr(1000)));

  // Only the open-ended form is understood; anything else gets the whole image.
  auto closed_range = Fetch("images/v2.bin", {{"range", "bytes=0-99"}});
  BOOST_TEST(closed_range.status == 200);
  BOOST_TEST(closed_range.body.size() == kSize);

  auto beyond = Fetch("images/v2.bin", {{"range", "bytes=" + std::to_string(kSize) + "-"}});
  BOOST_TEST(beyond.status == 416);

  auto exchanges = Exchanges();
  BOOST_REQUIRE_EQUAL(exchanges.size(), 4u);
  BOOST_TEST(exchanges[0].kind == "image");
  BOOST_TEST(exchanges[0].release == "v2");
  BOOST_TEST(exchanges[0].bytes_sent == kSize);
  BOOST_TEST(exchanges[0].end == "complete");
  BOOST_TEST(exchanges[1].range_start == 1000u);
  BOOST_TEST(exchanges[1].bytes_sent == kSize - 1000);
  BOOST_TEST(exchanges[3].status == 416);
  BOOST_TEST(exchanges[3].range_start == kSize);
}

BOOST_FIXTURE_TEST_CASE(unknown_paths_are_404, Fixture) {
  for (const char* path : {"images/v9.bin", "images/v2", "images/", "status", "nothing",
                           "manifest/x"}) {
    BOOST_TEST(Fetch(path).status == 404, path);
  }
  // Another device's root on the same server.
  auto url = http::ParseUrl(base_url);
  BOOST_REQUIRE(url.ok());
  http::ClientRequest other_device{.url = url->scheme + "://127.0.0.1:" +
                                          std::to_string(url->port) + "/dev-0002/manifest"};
  auto response = http::Fetch(other_device, client);
  BOOST_REQUIRE(response.ok());
  BOOST_TEST(response->status == 404);

  auto exchanges = Exchanges();
  BOOST_REQUIRE_EQUAL(exchanges.size(), 7u);
  for (const auto& exchange : exchanges) {
    BOOST_TEST(exchange.status == 404);
    // A request under images/ counts as an image request even when nothing is there.
    bool image = exchange.resource.starts_with("/dev-0001/images/");
    BOOST_TEST(exchange.kind == (image ? "image" : "other"), exchange.resource);
  }
}

BOOST_FIXTURE_TEST_CASE(status_reports_are_recorded, Fixture) {
  nlohmann::json report = {{"device_id", "dev-0001"}, {"result", "rejected"},
                           {"reason", "digest"},      {"version", "2.0.0"},
                           {"sequence", 2},           {"code", 20}};
  auto response = Fetch("status", {{"content-type", "application/json"}}, "POST", report.dump());
  BOOST_TEST(response.status == 200);
  auto statuses = env.statuses();
  BOOST_REQUIRE_EQUAL(statuses.size(), 1u);
  BOOST_TEST(statuses[0].result == "rejected");
  BOOST_TEST(statuses[0].reason == "digest");
  BOOST_TEST(statuses[0].version == "2.0.0");
  BOOST_TEST(statuses[0].sequence == 2u);
  BOOST_TEST(statuses[0].code == 20);
  BOOST_TEST(statuses[0].raw == report);
  BOOST_TEST(env.Events("server", "status-received").size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(malformed_status_reports_are_400, Fixture) {
  for (const char* body : {"", "not json", "[1,2]", "{\"reason\":\"digest\"}",
                           "{\"result\":1}", "{\"result\":\"failed\",\"sequence\":-1}",
                           "{\"result\":\"failed\",\"code\":\"30\"}"}) {
    BOOST_TEST(Fetch("status", {}, "POST", body).status == 400, body);
  }
  BOOST_TEST(env.statuses().empty());
  for (const auto& exchange : Exchanges()) {
    BOOST_TEST(exchange.kind == "status");
    BOOST_TEST(exchange.status == 400);
  }
}

BOOST_FIXTURE_TEST_CASE(attackers_run_in_order_and_show_on_the_wire, Fixture) {
  env.Publish("v2");
  auto downgrade = Attacker("attack.downgrade", {{"release", "v1"}});
  auto strip = Attacker("attack.tamper", {{"mode", "strip-signature"}});
  auto flip = Attacker("attack.tamper", {{"mode", "image-bit-flip"}, {"at", "25"}});
  env.SetAttackers({downgrade.get(), strip.get(), flip.get()});

  auto manifest = nlohmann::json::parse(Fetch("manifest").body);
  BOOST_TEST(manifest["signed"] ==
             nlohmann::json::parse(env.FindRelease("v1")->envelope)["signed"]);
  BOOST_TEST(manifest["signatures"] == nlohmann::json::array());

  std::string image = env.ImageBytes("v2");
  auto served = Fetch("images/v2.bin").body;
  BOOST_REQUIRE_EQUAL(served.size(), image.size());
  std::vector<std::size_t> diffs;
  for (std::size_t i = 0; i < image.size(); ++i) {
    if (served[i] != image[i]) diffs.push_back(i);
  }
  BOOST_REQUIRE_EQUAL(diffs.size(), 1u);
  BOOST_TEST(diffs[0] == kSize / 4);
}

BOOST_FIXTURE_TEST_CASE(cut_after_is_an_incomplete_body, Fixture) {
  auto interrupt = Attacker("attack.interrupt", {{"after", "10000"}});
  env.SetAttackers({interrupt.get()});
  auto cut = Fetch("images/v2.bin");
  BOOST_TEST(cut.status == 200);
  BOOST_TEST(!cut.body_complete);
  BOOST_TEST(cut.body_bytes == 10000u);
  BOOST_TEST((cut.body == env.ImageBytes("v2").substr(0, 10000)));

  auto resumed = Fetch("images/v2.bin", {{"range", "bytes=10000-"}});
  BOOST_TEST(resumed.status == 206);
  BOOST_TEST(resumed.body_complete);
  BOOST_TEST(resumed.body.size() == kSize - 10000);

  auto exchanges = Exchanges();
  BOOST_REQUIRE_EQUAL(exchanges.size(), 2u);
  BOOST_TEST(exchanges[0].end == "cut");
  BOOST_TEST(exchanges[0].bytes_sent == 10000u);
  BOOST_TEST(exchanges[1].end == "complete");
}

BOOST_FIXTURE_TEST_CASE(endless_data_has_no_length_and_ends_at_the_cap, Fixture) {
  auto endless = Attacker("attack.endless-data", {{"mode", "endless"}, {"max_bytes", "1MiB"}});
  env.SetAttackers({endless.get()});
  auto response = Fetch("images/v2.bin");
  BOOST_TEST(!response.content_length.has_value());
  BOOST_TEST(response.body_bytes == 1u << 20);
  BOOST_TEST((response.body.substr(0, kSize) == env.ImageBytes("v2")));
}

BOOST_FIXTURE_TEST_CASE(short_data_declares_and_sends_fewer_bytes, Fixture) {
  auto shorter = Attacker("attack.endless-data", {{"mode", "short"}, {"missing", "100"}});
  env.SetAttackers({shorter.get()});
  auto response = Fetch("images/v2.bin");
  BOOST_TEST(response.content_length.value() == kSize - 100);
  BOOST_TEST(response.body_complete);
  BOOST_TEST(response.body.size() == kSize - 100);
}

BOOST_FIXTURE_TEST_CASE(a_failing_attacker_is_a_500_named_in_the_timeline, Fixture) {
  env.Publish("v2");
  auto replay = Attacker("attack.replay", {});  // nothing captured yet
  env.SetAttackers({replay.get()});
  BOOST_TEST(Fetch("manifest").status == 500);
  auto errors = env.Events("attacker", "error");
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  BOOST_TEST(errors[0]["error"].get<std::string>().find("attack.replay") != std::string::npos);
  BOOST_TEST(env.ServedManifests().empty());
  BOOST_TEST(Exchanges().at(0).status == 500);
}

BOOST_FIXTURE_TEST_CASE(replayed_manifest_is_the_captured_bytes, Fixture) {
  env.Publish("v1");
  std::string first = Fetch("manifest").body;
  env.Publish("v2");
  auto replay = Attacker("attack.replay", {{"capture", "0"}});
  BOOST_REQUIRE(replay->Prepare(env).ok());
  env.SetAttackers({replay.get()});
  BOOST_TEST(Fetch("manifest").body == first);
}

BOOST_AUTO_TEST_CASE(plain_http_when_tls_is_off) {
  Fixture fixture(FakeEnvOptions{.use_tls = false});
  BOOST_TEST(fixture.base_url.starts_with("http://127.0.0.1:"));
  BOOST_TEST(fixture.Fetch("manifest").status == 204);
}

BOOST_AUTO_TEST_CASE(client_identity_is_recorded_with_mutual_tls) {
  Fixture fixture(FakeEnvOptions{.use_tls = true, .client_ca = true});
  fixture.client.client_cert_pem = fixture.env.device_identity().cert_pem;
  fixture.client.client_key_pem = fixture.env.device_identity().key_pem;
  BOOST_TEST(fixture.Fetch("manifest").status == 204);
  auto exchanges = fixture.Exchanges();
  BOOST_REQUIRE_EQUAL(exchanges.size(), 1u);
  BOOST_TEST(exchanges[0].client_identity == "dev-0001");
}
