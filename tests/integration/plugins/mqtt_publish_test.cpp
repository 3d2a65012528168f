#define BOOST_TEST_MODULE attack_mqtt_publish
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "broker/broker_service.hpp"
#include "otasim/manifest.hpp"
#include "support/plugins_fake_env.hpp"

using otasim::testing::FakeEnv;
using otasim::testing::MqttFakeDevice;
using otasim::testing::PluginCatalog;
using namespace std::chrono_literals;

namespace {

constexpr auto kWait = 10s;  // a deadline, never an expectation
const std::string kUser = "dev-0001-s2";

// One broker and one fake device for the whole executable (a Paho client costs ~2 s).
struct Shared {
  otasim::testing::TempDir dir{"otasim-mqtt-publish"};
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

// A session on the broker with releases v1 and v2; v2 is published and v1 was served to the
// device in an earlier step.
struct Fixture {
  Fixture() : shared(TheShared()), device(*shared.device) {
    device.Clear();
    env.SetBroker(shared.access);
    env.AddRelease({.name = "v1", .version = "1.0.0", .sequence = 1});
    env.AddRelease({.name = "v2", .version = "2.0.0", .sequence = 2});
    env.Publish("v2");
    env.RecordServedManifest(env.FindRelease("v1")->envelope);
  }

  std::unique_ptr<otasim::Attacker> Attacker(const std::map<std::string, std::string>& raw) {
    auto attacker = PluginCatalog::Get().MakeAttacker("attack.mqtt-publish", raw);
    BOOST_REQUIRE(attacker.ok());
    return std::move(attacker).value();
  }

  // What a device subscribing now receives first: the retained job.
  nlohmann::json RetainedJob() {
    device.ResubscribeJobs();
    auto job = device.NextJob(kWait);
    BOOST_REQUIRE(job.has_value());
    return *job;
  }

  // After the attacker is gone: a device subscribing now gets no retained job (the honest
  // server's next message is the first it sees).
  void ExpectNoRetainedJob() {
    device.Clear();  // the live copy of the attacker's job came before the retained one
    device.ResubscribeJobs();
    BOOST_REQUIRE(shared.access.server->Publish(shared.access.topic_root + "/jobs/notify", "{\"job_id\":\"marker\"}").ok());
    auto first = device.NextJob(kWait);
    BOOST_REQUIRE(first.has_value());
    BOOST_TEST((*first)["job_id"] == "marker");
  }

  Shared& shared;
  MqttFakeDevice& device;
  FakeEnv env;
};

}  // namespace

BOOST_AUTO_TEST_CASE(stale_retained_leaves_an_older_job_then_clears_it) {
  Fixture f;
  {
    auto attacker = f.Attacker({{"mode", "stale-retained"}});
    BOOST_REQUIRE(attacker->Prepare(f.env).ok());
    const nlohmann::json job = f.RetainedJob();
    BOOST_TEST(job["manifest"] == f.env.FindRelease("v1")->envelope);
    BOOST_TEST(job["image"]["stream"] == "v1.bin");
    const auto events = f.env.Events("attacker", "mqtt-publish");
    BOOST_REQUIRE_EQUAL(events.size(), 1u);
    BOOST_TEST(events[0]["credential"] == "server");
    BOOST_TEST(events[0]["sequence"] == 1);
    BOOST_TEST(events[0]["retained"] == true);
  }
  f.ExpectNoRetainedJob();
}

BOOST_AUTO_TEST_CASE(intruder_job_is_newer_and_signed_by_a_rogue_key) {
  Fixture f;
  {
    auto attacker = f.Attacker({{"mode", "intruder-job"}});
    auto prepared = attacker->Prepare(f.env);
    BOOST_REQUIRE_MESSAGE(prepared.ok(), (prepared.ok() ? "" : prepared.error().What()));
    const nlohmann::json job = f.RetainedJob();
    const std::string envelope = job["manifest"].get<std::string>();
    auto parsed = otasim::manifest::ParseEnvelope(envelope);
    BOOST_REQUIRE(parsed.ok());
    auto m = otasim::manifest::ParseManifest(parsed.value().signed_bytes);
    BOOST_REQUIRE(m.ok());
    BOOST_TEST(m.value().sequence == 3u);
    BOOST_TEST(job["image"]["stream"] == "v2.bin");
    const auto vendor = f.env.vendor_key().Public();
    BOOST_TEST(!otasim::manifest::Verify(parsed.value(), std::span(&vendor, 1)).ok());
    auto rogue = f.env.RogueSigningKey();
    BOOST_REQUIRE(rogue.ok());
    const auto rogue_public = rogue->Public();
    BOOST_TEST(otasim::manifest::Verify(parsed.value(), std::span(&rogue_public, 1)).ok());
    const auto events = f.env.Events("attacker", "mqtt-publish");
    BOOST_REQUIRE_EQUAL(events.size(), 1u);
    BOOST_TEST(events[0]["credential"] == "intruder");
  }
  f.ExpectNoRetainedJob();
}

BOOST_AUTO_TEST_CASE(replay_job_plays_back_a_captured_manifest) {
  Fixture f;
  f.env.RecordServedManifest(f.env.FindRelease("v2")->envelope);
  {
    auto attacker = f.Attacker({{"mode", "replay-job"}, {"capture", "-1"}});
    BOOST_REQUIRE(attacker->Prepare(f.env).ok());
    const nlohmann::json job = f.RetainedJob();
    BOOST_TEST(job["manifest"] == f.env.FindRelease("v2")->envelope);  // byte for byte
    BOOST_TEST(job["image"]["stream"] == "v2.bin");
  }
  f.ExpectNoRetainedJob();
}

BOOST_AUTO_TEST_CASE(refuses_what_it_cannot_do) {
  Fixture f;
  FakeEnv http_session;  // no broker
  BOOST_TEST(!f.Attacker({{"mode", "replay-job"}})->Prepare(http_session).ok());
  auto no_capture = f.Attacker({{"mode", "replay-job"}, {"capture", "5"}});
  BOOST_TEST(!no_capture->Prepare(f.env).ok());
  f.env.Publish("v1");  // nothing served is older than v1
  auto nothing_older = f.Attacker({{"mode", "stale-retained"}});
  auto refused = nothing_older->Prepare(f.env);
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.error().message().find("older") != std::string::npos);
  BOOST_TEST(!PluginCatalog::Get().MakeAttacker("attack.mqtt-publish", {}).ok());  // mode required
}
