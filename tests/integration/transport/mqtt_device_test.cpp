// The reference device over MQTT(S): the real otasim-device binary against a real Mosquitto
// (TLS, passwords, ACLs) and a fixture update server — one Paho client in this process — that
// answers job requests with signed job documents and chunk requests with image chunks, as
// scripted by each test, and records what the device asked and reported.
#define BOOST_TEST_MODULE mqtt_device
#include <boost/test/unit_test.hpp>

#include "broker.hpp"
#include "client.hpp"
#include "integration/targets/device_harness.hpp"

using namespace device_test;

namespace {

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

constexpr const char* kRoot = "otasim/dev-0001";
constexpr const char* kDevicePassword = "dev-0001-secret";

struct ChunkRequest {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

// What the fixture server does; replaced by each test.
struct Script {
  std::optional<std::string> job_text;  // published verbatim instead of a built job document
  std::optional<std::string> envelope;  // nullopt: "manifest": null
  fs::path image;
  std::string stream = "v2.bin";
  std::uint64_t chunk_size = 4096;
  long stall_after_chunks = -1;      // >= 0: publish only this many chunks in all, then nothing
  std::uint64_t pad_last_chunk = 0;  // bytes appended to the image's last chunk (beyond size)
  std::optional<std::uint64_t> lose_once;  // the chunk at this offset is not sent the first time
  std::optional<std::uint64_t> serve_only;  // the server has only this many bytes of the image,
                                            // then says so with an empty chunk
};

// The broker and the fixture server's client, shared by every test: each Paho client after the
// first in a process costs about 2 s to connect.
class MqttServer {
 public:
  MqttServer() : dir_("otasim-mqtt-device") {
    mqtt::BrokerOptions options;
    options.dir = dir_.path() / "broker";
    options.users = {{"server", "server-secret", mqtt::UserRole::kServer},
                     {"dev-0001", kDevicePassword, mqtt::UserRole::kDevice}};
    options.ca = Must(crypto::CertificateAuthority::Create("otasim mqtt test CA"), "CA");
    broker_ = Must(mqtt::Broker::Start(options), "start Mosquitto");
    mqtt::ClientOptions client;
    client.uri = broker_->PlainUri();
    client.client_id = "fixture-server";
    client.username = "server";
    client.password = "server-secret";
    client.timeout = std::chrono::milliseconds(5000);
    client_ = Must(mqtt::Client::Connect(client), "server client");
    for (const std::string filter : {"/request/#", "/status/#"}) {
      const auto subscribed = client_->Subscribe(
          kRoot + filter, [this](const mqtt::Message& m) { OnMessage(m); }, 1);
      BOOST_REQUIRE_MESSAGE(subscribed.ok(), (subscribed.ok() ? "" : subscribed.error().What()));
    }
  }
  ~MqttServer() {
    client_.reset();
    broker_.reset();
  }

  const mqtt::Broker& broker() const { return *broker_; }

  // A fresh script and fresh records for the next test.
  void Reset(Script script) {
    std::lock_guard lock(mu_);
    script_ = std::move(script);
    chunks_sent_ = 0;
    job_requests_ = 0;
    chunk_requests_.clear();
    statuses_.clear();
  }
  std::vector<ChunkRequest> ChunkRequests() {
    std::lock_guard lock(mu_);
    return chunk_requests_;
  }
  int JobRequests() {
    std::lock_guard lock(mu_);
    return job_requests_;
  }
  // Status reports arrive asynchronously, possibly just after the device exited.
  std::vector<json> WaitStatuses(std::size_t count) {
    const auto until = std::chrono::steady_clock::now() + 5s;
    for (;;) {
      {
        std::lock_guard lock(mu_);
        if (statuses_.size() >= count || std::chrono::steady_clock::now() >= until) return statuses_;
      }
      std::this_thread::sleep_for(10ms);
    }
  }
  std::vector<json> Statuses() {
    std::lock_guard lock(mu_);
    return statuses_;
  }

 private:
  // On the client's dispatch thread, one message at a time.
  void OnMessage(const mqtt::Message& message) {
    const std::string root = kRoot;
    std::lock_guard lock(mu_);
    if (message.topic == root + "/status") {
      statuses_.push_back(json::parse(message.payload, nullptr, false));
    } else if (message.topic == root + "/request/job") {
      ++job_requests_;
      const json request = json::parse(message.payload, nullptr, false);
      std::string job = script_.job_text.value_or("");
      if (!script_.job_text) {
        json doc = {{"job_id", "j-2"},
                    {"request_id", request.is_object() ? request.value("request_id", "") : ""}};
        doc["manifest"] = script_.envelope ? json(*script_.envelope) : json(nullptr);
        doc["image"] = {
            {"mode", "stream"}, {"stream", script_.stream}, {"chunk_size", script_.chunk_size}};
        job = doc.dump();
      }
      (void)client_->Publish(root + "/jobs/notify", job);
    } else if (message.topic == root + "/request/chunks") {
      const json request = json::parse(message.payload, nullptr, false);
      if (!request.is_object()) return;
      const ChunkRequest asked{request.value("offset", std::uint64_t{0}),
                               request.value("length", std::uint64_t{0})};
      chunk_requests_.push_back(asked);
      PublishChunks(asked);
    }
  }

  void PublishChunks(const ChunkRequest& asked) {
    std::string bytes = Slurp(script_.image);
    if (script_.serve_only) bytes.resize(*script_.serve_only);
    const std::uint64_t end = std::min<std::uint64_t>(asked.offset + asked.length, bytes.size());
    for (std::uint64_t at = asked.offset; at < end; at += script_.chunk_size) {
      if (script_.stall_after_chunks >= 0 && chunks_sent_ >= script_.stall_after_chunks) return;
      std::string chunk = bytes.substr(at, std::min<std::uint64_t>(script_.chunk_size, end - at));
      if (at + chunk.size() == bytes.size()) chunk.append(script_.pad_last_chunk, 'x');
      if (script_.lose_once == at) {
        script_.lose_once.reset();
        continue;
      }
      ++chunks_sent_;
      (void)client_->Publish(std::string(kRoot) + "/stream/" + script_.stream + "/" +
                                 std::to_string(at),
                             chunk);
    }
    if (script_.serve_only && asked.offset + asked.length > bytes.size()) {
      (void)client_->Publish(
          std::string(kRoot) + "/stream/" + script_.stream + "/" + std::to_string(bytes.size()),
          "");
    }
  }

  otasim::testing::TempDir dir_;
  std::unique_ptr<mqtt::Broker> broker_;
  std::unique_ptr<mqtt::Client> client_;
  std::mutex mu_;
  Script script_;
  long chunks_sent_ = 0;
  int job_requests_ = 0;
  std::vector<ChunkRequest> chunk_requests_;
  std::vector<json> statuses_;
};

// Made on first use; a failed start is retried by the next test rather than left half-made.
MqttServer& Server() {
  static std::unique_ptr<MqttServer> server;
  if (!server) server = std::make_unique<MqttServer>();
  return *server;
}

class MqttDeviceFixture : public DeviceFixture {
 public:
  MqttDeviceFixture() : server_(Server()) {
    WriteText(root() / "broker.pass", std::string(kDevicePassword) + "\n");
    UseBroker(/*tls=*/true);
  }

  void UseBroker(bool tls) {
    json& config = Config();
    config["protocol"] = "mqtt";
    const auto& broker = server_.broker();
    config["endpoints"] = {
        {"mqtt",
         {{"broker", tls ? "mqtts://127.0.0.1:" + std::to_string(broker.tls_port())
                         : "mqtt://127.0.0.1:" + std::to_string(broker.plain_port())},
          {"topic_root", kRoot},
          {"client_id", "dev-0001"},
          {"username", "dev-0001"},
          {"password_file", (root() / "broker.pass").string()}}}};
    config["tls"] = {{"ca_file", broker.ca_file().string()}};
    SaveConfig();
  }

  void SetTimeoutMs(int ms) {
    Config()["limits"]["timeout_ms"] = ms;
    SaveConfig();
  }

  Script OfferScript(const Release& release) const {
    Script script;
    script.envelope = release.envelope;
    script.image = release.image;
    script.stream = release.image.filename().string();
    return script;
  }

  MqttServer& server_;
};

void CheckFailedWith(MqttDeviceFixture& f, const std::string& result, const std::string& reason) {
  const json state = f.State();
  BOOST_TEST(state["last_result"].get<std::string>() == result);
  BOOST_TEST(state["last_reason"].get<std::string>() == reason);
  BOOST_TEST(state["running"]["version"].get<std::string>() == "1.0.0");
  BOOST_TEST(state["bootable"].get<bool>());
  const auto statuses = f.server_.WaitStatuses(1);
  BOOST_REQUIRE(!statuses.empty());
  BOOST_TEST(statuses.back().value("result", "") == result);
  BOOST_TEST(statuses.back().value("reason", "") == reason);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(mqtt_device, MqttDeviceFixture)

BOOST_AUTO_TEST_CASE(installs_over_mqtts_in_chunk_windows_and_publishes_the_status) {
  Provision(v1());
  server_.Reset(OfferScript(v2()));
  const auto check = Device("check");
  BOOST_TEST(check.exit_code == 0);
  const json state = State();
  BOOST_TEST(state["running"]["version"].get<std::string>() == "2.0.0");
  BOOST_TEST(state["slots"][1]["digest"].get<std::string>() == v2().digest);
  BOOST_TEST(server_.JobRequests() == 1);
  // 256 KiB in 4 KiB chunks, 16 per request: four windows, in order.
  const auto asked = server_.ChunkRequests();
  BOOST_REQUIRE_EQUAL(asked.size(), 4u);
  for (std::size_t i = 0; i < asked.size(); ++i) {
    BOOST_TEST(asked[i].offset == i * 16 * 4096);
    BOOST_TEST(asked[i].length == 16u * 4096);
  }
  const auto statuses = server_.WaitStatuses(1);
  BOOST_REQUIRE_EQUAL(statuses.size(), 1u);
  BOOST_TEST(statuses[0].value("result", "") == "installed");
  BOOST_TEST(statuses[0].value("version", "") == "2.0.0");
  BOOST_TEST(statuses[0].value("code", -1) == 0);
}

BOOST_AUTO_TEST_CASE(no_job_offered_is_no_update_over_plain_mqtt) {
  UseBroker(/*tls=*/false);
  Provision(v1());
  Script script;
  script.image = v2().image;
  server_.Reset(script);
  BOOST_TEST(Device("check").exit_code == 10);
  BOOST_TEST(server_.ChunkRequests().empty());
}

BOOST_AUTO_TEST_CASE(stale_job_is_rejected_before_any_chunk) {
  Provision(v1());
  auto stale = MakeRelease("v2-stale", "2.0.0", 2, RandomBytes(kImageBytes, 7),
                           {.expires = "2026-11-28T05:00:00Z"});
  server_.Reset(OfferScript(stale));
  BOOST_TEST(Device("check").exit_code == 20);
  CheckFailedWith(*this, "rejected", "expired");
  BOOST_TEST(server_.ChunkRequests().empty());
}

BOOST_AUTO_TEST_CASE(unsigned_job_is_rejected) {
  Provision(v1());
  auto rogue = MakeRelease("v2-rogue", "2.0.0", 2, RandomBytes(kImageBytes, 8),
                           {.key = &rogue_key()});
  server_.Reset(OfferScript(rogue));
  BOOST_TEST(Device("check").exit_code == 20);
  CheckFailedWith(*this, "rejected", "signature");
  BOOST_TEST(server_.ChunkRequests().empty());
}

BOOST_AUTO_TEST_CASE(malformed_job_document_is_format) {
  Provision(v1());
  Script script = OfferScript(v2());
  script.job_text = "{\"job_id\": \"j-9\", \"manifest\": 42}";
  server_.Reset(script);
  const auto check = Device("check");
  BOOST_TEST(check.exit_code == 20);
  BOOST_TEST(Contains(check.err, "job document: manifest"));
  CheckFailedWith(*this, "rejected", "format");
}

BOOST_AUTO_TEST_CASE(stalled_stream_is_interrupted_then_resumes_from_the_stored_bytes) {
  SetTimeoutMs(1000);
  Provision(v1());
  Script script = OfferScript(v2());
  script.stall_after_chunks = 20;
  server_.Reset(script);
  const auto first = Device("check");
  BOOST_TEST(first.exit_code == 30);
  CheckFailedWith(*this, "failed", "interrupted");

  script.stall_after_chunks = -1;
  server_.Reset(script);
  const auto second = Device("check");
  BOOST_TEST(second.exit_code == 0);
  BOOST_TEST(Contains(second.err, "resuming at byte " + std::to_string(20 * 4096)));
  const auto asked = server_.ChunkRequests();
  BOOST_REQUIRE(!asked.empty());
  BOOST_TEST(asked.front().offset == 20u * 4096);  // resumed, not restarted
  BOOST_TEST(State()["running"]["version"].get<std::string>() == "2.0.0");
}

BOOST_AUTO_TEST_CASE(lost_chunk_is_asked_again_from_the_first_missing_byte) {
  Provision(v1());
  Script script = OfferScript(v2());
  script.lose_once = 5 * 4096;
  server_.Reset(script);
  const auto check = Device("check");
  BOOST_TEST(check.exit_code == 0);
  BOOST_TEST(Contains(check.err, "asking again"));
  const auto asked = server_.ChunkRequests();
  BOOST_REQUIRE(asked.size() >= 2u);
  BOOST_TEST(asked[0].offset == 0u);
  BOOST_TEST(asked[1].offset == 5u * 4096);  // the rest of the first window
  BOOST_TEST(asked[1].length == 11u * 4096);
  BOOST_TEST(State()["slots"][1]["digest"].get<std::string>() == v2().digest);
}

BOOST_AUTO_TEST_CASE(stream_that_ends_short_is_interrupted_without_waiting) {
  SetTimeoutMs(20000);  // the end is announced: no 20 s wait for a chunk that never comes
  Provision(v1());
  Script script = OfferScript(v2());
  script.serve_only = kImageBytes - 1000;
  server_.Reset(script);
  const auto check = Device("check");
  BOOST_TEST(check.exit_code == 30);
  BOOST_TEST(Contains(check.err, "empty chunk"));
  CheckFailedWith(*this, "failed", "interrupted");
}

BOOST_AUTO_TEST_CASE(silent_stream_before_any_chunk_is_timeout) {
  SetTimeoutMs(800);
  Provision(v1());
  Script script = OfferScript(v2());
  script.stall_after_chunks = 0;
  server_.Reset(script);
  BOOST_TEST(Device("check").exit_code == 30);
  CheckFailedWith(*this, "failed", "timeout");
}

BOOST_AUTO_TEST_CASE(chunk_beyond_image_size_is_rejected) {
  Provision(v1());
  Script script = OfferScript(v2());
  script.pad_last_chunk = 100;
  server_.Reset(script);
  const auto check = Device("check");
  BOOST_TEST(check.exit_code == 20);
  BOOST_TEST(Contains(check.err, "stopped reading"));
  CheckFailedWith(*this, "rejected", "size");
}

BOOST_AUTO_TEST_CASE(flaw_no_size_check_reads_past_image_size_until_the_stream_stops) {
  SetTimeoutMs(800);
  Provision(v1());
  Script script = OfferScript(v2());
  script.pad_last_chunk = 100;
  server_.Reset(script);
  const auto check = Device("check", "no-size-check");
  BOOST_TEST(check.exit_code == 20);
  BOOST_TEST(Contains(check.err, "download: " + std::to_string(kImageBytes + 100) + " bytes"));
  BOOST_TEST(State()["last_reason"].get<std::string>() == "digest");
}

BOOST_AUTO_TEST_CASE(flaw_install_while_streaming_leaves_the_slot_alone_until_a_chunk_comes) {
  SetTimeoutMs(800);
  Provision(v1());
  Script script = OfferScript(v2());
  script.stall_after_chunks = 0;
  server_.Reset(script);
  BOOST_TEST(Device("check", "install-while-streaming").exit_code == 30);
  const json state = State("install-while-streaming");
  BOOST_TEST(state["slots"][0]["digest"].get<std::string>() == v1().digest);
  BOOST_TEST(state["bootable"].get<bool>());
}

BOOST_AUTO_TEST_CASE(flaw_no_status_report_publishes_nothing) {
  Provision(v1());
  server_.Reset(OfferScript(v2()));
  BOOST_TEST(Device("check", "no-status-report").exit_code == 0);
  std::this_thread::sleep_for(300ms);  // a report would have arrived by now
  BOOST_TEST(server_.Statuses().empty());
}

BOOST_AUTO_TEST_CASE(wrong_broker_ca_is_tls_failure) {
  Provision(v1());
  server_.Reset(OfferScript(v2()));
  Config()["tls"]["ca_file"] = (root() / "ca.pem").string();  // the HTTPS CA, not the broker's
  SaveConfig();
  const auto check = Device("check");
  BOOST_TEST(check.exit_code == 30);
  BOOST_TEST(State()["last_reason"].get<std::string>() == "tls");
  BOOST_TEST(server_.JobRequests() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
