#define BOOST_TEST_MODULE server_mqtt_jobs
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "broker/broker_service.hpp"
#include "http_client.hpp"
#include "support/plugins_fake_env.hpp"

using otasim::testing::FakeEnv;
using otasim::testing::MqttFakeDevice;
using otasim::testing::PluginCatalog;
using namespace std::chrono_literals;

namespace {

constexpr auto kWait = 10s;  // a deadline, never an expectation
constexpr std::uint64_t kSize = 200 * 1024 + 123;  // not a multiple of any chunk size
constexpr std::uint64_t kChunk = 16 * 1024;
const std::string kUser = "dev-0001-s1";

// One broker and one fake device for the whole executable (a Paho client costs ~2 s).
struct Shared {
  otasim::testing::TempDir dir{"otasim-mqtt-jobs"};
  std::unique_ptr<otasim::broker::BrokerService> service;
  otasim::BrokerAccess access;
  std::unique_ptr<MqttFakeDevice> device;

  Shared() {
    otasim::broker::BrokerServiceOptions options;
    options.dir = dir.path() / "broker";
    options.device_users = {kUser};
    auto started = otasim::broker::BrokerService::Start(options);
    if (!started) throw std::runtime_error(started.error().What());
    service = std::move(*started);
    auto access_or = service->ForSession(kUser);
    if (!access_or) throw std::runtime_error(access_or.error().What());
    access = *access_or;
    device = std::make_unique<MqttFakeDevice>(access, service->ca_file());
  }
};

Shared& TheShared() {
  static Shared shared;
  return shared;
}

// server.mqtt-jobs on a fake session with releases v1 and v2 (v2 published).
struct Fixture {
  explicit Fixture(std::map<std::string, std::string> params = {{"chunk_size", "16KiB"}})
      : shared(TheShared()), device(*shared.device) {
    device.Clear();
    env.SetBroker(shared.access);
    env.AddRelease({.name = "v1", .version = "1.0.0", .sequence = 1, .size = kSize});
    env.AddRelease({.name = "v2", .version = "2.0.0", .sequence = 2, .size = kSize});
    env.Publish("v2");
    auto made = PluginCatalog::Get().MakeServer("server.mqtt-jobs", params);
    BOOST_REQUIRE(made.ok());
    server = std::move(made).value();
    auto endpoint = server->Start(env);
    BOOST_REQUIRE_MESSAGE(endpoint.ok(), (endpoint.ok() ? "" : endpoint.error().What()));
    BOOST_TEST((*endpoint)["topic_root"] == "otasim/" + kUser);
    BOOST_TEST((*endpoint)["broker"] == shared.access.uri);
  }
  ~Fixture() { server->Stop(); }

  void Settle() {
    auto idle = server->WaitIdle(kWait);
    BOOST_REQUIRE_MESSAGE(idle.ok(), (idle.ok() ? "" : idle.error().What()));
  }

  std::vector<otasim::Exchange> Exchanges(const std::string& kind) {
    std::vector<otasim::Exchange> found;
    for (auto& e : env.exchanges()) {
      if (e.kind == kind) found.push_back(e);
    }
    return found;
  }

  // The reference device's way: windows of 16 chunks, the next asked once the last arrived.
  std::string FetchInWindows(const std::string& stream, std::uint64_t from, std::uint64_t size,
                             std::uint64_t chunk) {
    std::string image;
    while (from + image.size() < size) {
      const std::uint64_t offset = from + image.size();
      const std::uint64_t length = std::min(16 * chunk, size - offset);
      std::string window = device.FetchChunks(stream, offset, length, kWait);
      if (window.size() != length) break;
      image += window;
    }
    return image;
  }

  Shared& shared;
  MqttFakeDevice& device;
  FakeEnv env;
  std::unique_ptr<otasim::UpdateServerModel> server;
};

}  // namespace

BOOST_AUTO_TEST_CASE(needs_a_broker) {
  FakeEnv env;
  auto server = PluginCatalog::Get().MakeServer("server.mqtt-jobs");
  BOOST_REQUIRE(server.ok());
  auto started = (*server)->Start(env);
  BOOST_REQUIRE(!started.ok());
  BOOST_TEST(started.error().message().find("no MQTT broker") != std::string::npos);
  auto tiny = PluginCatalog::Get().MakeServer("server.mqtt-jobs", {{"chunk_size", "100"}});
  BOOST_REQUIRE(tiny.ok());
  env.SetBroker(TheShared().access);
  BOOST_TEST(!(*tiny)->Start(env).ok());
}

BOOST_AUTO_TEST_CASE(job_then_chunks_then_status) {
  Fixture f;
  auto job = f.device.RequestJob("r-1", kWait);
  BOOST_REQUIRE(job.has_value());
  BOOST_TEST((*job)["request_id"] == "r-1");
  BOOST_TEST((*job)["job_id"] == "j-1");
  BOOST_TEST((*job)["manifest"] == f.env.FindRelease("v2")->envelope);
  BOOST_TEST((*job)["image"]["mode"] == "stream");
  BOOST_TEST((*job)["image"]["stream"] == "v2.bin");
  BOOST_TEST((*job)["image"]["chunk_size"] == kChunk);

  const std::string image = f.FetchInWindows("v2.bin", 0, kSize, kChunk);
  BOOST_TEST((image == f.env.ImageBytes("v2")));  // byte-exact, in order
  const auto topics = f.device.ChunkTopics();
  BOOST_REQUIRE(!topics.empty());
  BOOST_TEST(topics.front() == "otasim/" + kUser + "/stream/v2.bin/0");
  BOOST_TEST(topics.size() == (kSize + kChunk - 1) / kChunk);

  BOOST_REQUIRE(f.device.Publish("status", R"({"device_id":"dev-0001","result":"installed",
      "reason":"none","version":"2.0.0","sequence":2,"code":0})").ok());
  f.Settle();

  const auto statuses = f.env.statuses();
  BOOST_REQUIRE_EQUAL(statuses.size(), 1u);
  BOOST_TEST(statuses[0].result == "installed");
  BOOST_TEST(statuses[0].sequence == 2u);
  BOOST_TEST(f.env.ServedManifests().size() == 1u);
  BOOST_TEST(f.Exchanges("manifest").size() == 1u);
  // The windows continued one another: one transfer.
  const auto images = f.Exchanges("image");
  BOOST_REQUIRE_EQUAL(images.size(), 1u);
  BOOST_TEST(images[0].range_start == 0u);
  BOOST_TEST(images[0].bytes_sent == kSize);
  BOOST_TEST(images[0].end == "complete");
  BOOST_TEST(images[0].release == "v2");
  BOOST_TEST(f.env.Events("server", "manifest-served").size() == 1u);
  BOOST_TEST(f.env.Events("server", "image-served").size() == 1u);
  BOOST_TEST(f.env.Events("server", "status-received").size() == 1u);
}

BOOST_AUTO_TEST_CASE(nothing_published_gives_a_null_manifest) {
  Fixture f;
  f.env.Publish("");
  auto job = f.device.RequestJob("r-2", kWait);
  BOOST_REQUIRE(job.has_value());
  BOOST_TEST((*job)["manifest"].is_null());
  f.Settle();
  BOOST_TEST(f.env.ServedManifests().empty());
  BOOST_TEST(f.env.Events("server", "manifest-none").size() == 1u);
}

// attack.interrupt cuts the first transfer; the device's resume from what it has is a new
// transfer that the attacker lets through.
BOOST_AUTO_TEST_CASE(a_cut_transfer_then_a_resume_starts_a_new_one) {
  Fixture f;
  auto interrupt = PluginCatalog::Get().MakeAttacker("attack.interrupt", {{"after", "50000"}});
  BOOST_REQUIRE(interrupt.ok());
  f.env.SetAttackers({interrupt->get()});

  f.device.RequestChunks("v2.bin", 0, kSize);
  const std::string first = f.device.Received(0, 50000, kWait);
  BOOST_TEST(first.size() == 50000u);
  f.Settle();
  auto images = f.Exchanges("image");
  BOOST_REQUIRE_EQUAL(images.size(), 1u);
  BOOST_TEST(images[0].end == "cut");
  BOOST_TEST(images[0].bytes_sent == 50000u);

  // A cut is a lost connection: nothing more flows in this update cycle...
  f.device.RequestChunks("v2.bin", 50000, kChunk);
  f.Settle();
  BOOST_TEST(f.env.Events("server", "chunks-ignored").size() == 1u);
  BOOST_TEST(f.device.Received(50000, 1, 200ms).empty());
  // ...until the device starts a new cycle: its resume is a new transfer.
  BOOST_REQUIRE(f.device.RequestJob("r-2", kWait).has_value());
  const std::string rest = f.FetchInWindows("v2.bin", 50000, kSize, kChunk);
  BOOST_TEST((first + rest == f.env.ImageBytes("v2")));
  f.Settle();
  images = f.Exchanges("image");
  BOOST_REQUIRE_EQUAL(images.size(), 2u);
  BOOST_TEST(images[1].range_start == 50000u);
  BOOST_TEST(images[1].bytes_sent == kSize - 50000);
  BOOST_TEST(images[1].end == "complete");
  BOOST_TEST(f.env.Events("attacker", "interrupt").size() == 1u);
}

// An attacker's source longer than the image: the chunk that reaches the image's end runs on
// into the extra bytes, so a device sees bytes beyond image.size in one chunk.
BOOST_AUTO_TEST_CASE(extra_bytes_overrun_the_last_chunk) {
  Fixture f;
  auto extra = PluginCatalog::Get().MakeAttacker("attack.endless-data",
                                                 {{"mode", "extra"}, {"extra", "5000"}});
  BOOST_REQUIRE(extra.ok());
  f.env.SetAttackers({extra->get()});
  f.device.RequestChunks("v2.bin", 0, kSize);
  const std::string got = f.device.Received(0, kSize + 5000, kWait);
  BOOST_REQUIRE_EQUAL(got.size(), kSize + 5000);
  BOOST_TEST((got.substr(0, kSize) == f.env.ImageBytes("v2")));
  f.Settle();
  BOOST_TEST(f.env.Events("server", "chunk-overrun").size() == 1u);
  // The last chunk starts inside the image and ends 5000 bytes past it.
  const auto topics = f.device.ChunkTopics();
  BOOST_REQUIRE(!topics.empty());
  const std::uint64_t last_offset = std::stoull(topics.back().substr(topics.back().rfind('/') + 1));
  BOOST_TEST(last_offset < kSize);
}

// A source shorter than the image: what there is, then an empty chunk where it ended.
BOOST_AUTO_TEST_CASE(a_short_stream_ends_with_an_empty_chunk) {
  Fixture f;
  auto short_image = PluginCatalog::Get().MakeAttacker("attack.endless-data",
                                                       {{"mode", "short"}, {"missing", "1000"}});
  BOOST_REQUIRE(short_image.ok());
  f.env.SetAttackers({short_image->get()});
  f.device.RequestChunks("v2.bin", 0, kSize);
  const std::string got = f.device.Received(0, kSize - 1000, kWait);
  BOOST_TEST(got.size() == kSize - 1000);
  f.Settle();
  // The end marker is the last message published; its delivery may trail the server's work.
  const std::string end_topic_suffix = "/" + std::to_string(kSize - 1000);
  auto ended = [&] {
    const auto topics = f.device.ChunkTopics();
    return !topics.empty() && topics.back().ends_with(end_topic_suffix);
  };
  const auto until = std::chrono::steady_clock::now() + kWait;
  while (!ended() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(10ms);
  BOOST_TEST(ended(), "an empty chunk at offset " << kSize - 1000 << " ends the stream");
}

// image_mode url: the job carries an HTTPS URL (plain HTTP here: the fake session has no TLS)
// served like server.http-poll, through the step's attackers, recorded as an image exchange.
BOOST_AUTO_TEST_CASE(url_mode_puts_an_image_url_in_the_job) {
  Fixture f(std::map<std::string, std::string>{{"chunk_size", "16KiB"}, {"image_mode", "url"}});
  auto job = f.device.RequestJob("r-url", kWait);
  BOOST_REQUIRE(job.has_value());
  BOOST_TEST((*job)["image"]["mode"] == "url");
  const std::string url = (*job)["image"]["url"].get<std::string>();
  BOOST_TEST(url.starts_with("http://127.0.0.1:"), url);
  BOOST_TEST(url.ends_with("/dev-0001/images/v2.bin"), url);
  otasim::http::ClientRequest request;
  request.url = url;
  std::string body;
  auto response = otasim::http::Fetch(request, {}, [&](const std::uint8_t* data, std::size_t size) {
    body.append(reinterpret_cast<const char*>(data), size);
    return true;
  });
  BOOST_REQUIRE(response.ok());
  BOOST_TEST(response->status == 200);
  BOOST_TEST((body == f.env.ImageBytes("v2")));
  f.Settle();
  BOOST_TEST(f.Exchanges("image").size() == 1u);
}

// A transfer the device stops asking for, then asks again from the start: two transfers,
// the first abandoned.
BOOST_AUTO_TEST_CASE(asking_elsewhere_abandons_the_transfer) {
  Fixture f;
  BOOST_TEST(f.device.FetchChunks("v2.bin", 0, kChunk, kWait).size() == kChunk);
  BOOST_TEST(f.device.FetchChunks("v1.bin", 0, kChunk, kWait).size() == kChunk);
  f.Settle();
  const auto images = f.Exchanges("image");
  BOOST_REQUIRE_EQUAL(images.size(), 2u);
  BOOST_TEST(images[0].end == "abandoned");
  BOOST_TEST(images[0].release == "v2");
  BOOST_TEST(images[1].release == "v1");
}

BOOST_AUTO_TEST_CASE(malformed_requests_are_logged_and_ignored) {
  Fixture f;
  const std::string size = std::to_string(kSize);
  for (const std::string& bad : {std::string("not json"), std::string("[1,2]"),
                                 std::string(R"({"stream":"v9.bin","offset":0,"length":10})"),
                                 std::string(R"({"stream":"../v2","offset":0,"length":10})"),
                                 std::string(R"({"stream":"v2.bin","offset":-1,"length":10})"),
                                 std::string(R"({"stream":"v2.bin","offset":0,"length":1000000000000})"),
                                 R"({"stream":"v2.bin","offset":)" + size + R"(,"length":10})"}) {
    BOOST_REQUIRE(f.device.Publish("request/chunks", bad).ok());
  }
  BOOST_REQUIRE(f.device.Publish("request/job", "{\"request_id\": 7}").ok());
  BOOST_REQUIRE(f.device.Publish("request/other", "{}").ok());
  BOOST_REQUIRE(f.device.Publish("status", "{\"result\": 3}").ok());
  // Still serving afterwards.
  BOOST_TEST(f.device.FetchChunks("v2.bin", 0, 1000, kWait).size() == 1000u);
  f.Settle();
  BOOST_TEST(f.env.Events("server", "request-malformed").size() == 9u);
  BOOST_TEST(f.env.Events("server", "status-malformed").size() == 1u);
  BOOST_TEST(f.env.statuses().empty());
  BOOST_TEST(f.Exchanges("image").size() == 1u);
  BOOST_TEST(f.Exchanges("manifest").empty());
}

BOOST_AUTO_TEST_CASE(retained_jobs_reach_a_late_subscriber) {
  Fixture f(std::map<std::string, std::string>{{"retain_jobs", "true"}});
  BOOST_REQUIRE(f.device.RequestJob("r-3", kWait).has_value());
  f.device.ResubscribeJobs();
  auto again = f.device.NextJob(kWait);
  BOOST_REQUIRE(again.has_value());
  BOOST_TEST((*again)["request_id"] == "r-3");
  // Leave no retained job behind for the other tests.
  BOOST_REQUIRE(f.shared.access.server->Publish(f.shared.access.topic_root + "/jobs/notify", "", true).ok());
}

// The figure of the report: a 16 MiB image through the broker over TLS, in windows of 16
// chunks of 32 KiB (the defaults) as the reference device asks.
BOOST_AUTO_TEST_CASE(sixteen_mib_through_the_broker) {
  Fixture f(std::map<std::string, std::string>{});
  constexpr std::uint64_t kBig = 16ull << 20;
  f.env.AddRelease({.name = "v3", .version = "3.0.0", .sequence = 3, .size = kBig});
  const auto start = std::chrono::steady_clock::now();
  const std::string image = f.FetchInWindows("v3.bin", 0, kBig, 32 * 1024);
  const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start);
  BOOST_TEST_MESSAGE("16 MiB over MQTT/TLS in 32 KiB chunks: " << elapsed.count() << " s ("
                     << (16.0 / elapsed.count()) << " MiB/s)");
  BOOST_TEST(image.size() == kBig);
  BOOST_TEST((image == f.env.ImageBytes("v3")));
  f.Settle();
  BOOST_TEST(f.Exchanges("image").size() == 1u);
}
