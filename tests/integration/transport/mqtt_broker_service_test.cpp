#define BOOST_TEST_MODULE mqtt_broker_service_test
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "broker_service.hpp"
#include "broker_url.hpp"
#include "client.hpp"
#include "support/temp_dir.hpp"

namespace broker = otasim::broker;
namespace mqtt = otasim::mqtt;
using otasim::BrokerAccess;
using otasim::BusMessage;
using namespace std::chrono_literals;

namespace {

bool Alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return false;
  std::string line;
  std::getline(stat, line);
  const auto paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z';
}

// Messages one handler saw, with a wait for "at least n".
struct Inbox {
  std::mutex mutex;
  std::condition_variable arrived;
  std::vector<BusMessage> messages;

  void Add(const BusMessage& m) {
    {
      std::lock_guard lock(mutex);
      messages.push_back(m);
    }
    arrived.notify_all();
  }
  std::vector<BusMessage> WaitFor(std::size_t n) {
    std::unique_lock lock(mutex);
    arrived.wait_for(lock, 10s, [&] { return messages.size() >= n; });
    return messages;
  }
  std::vector<BusMessage> Snapshot() {
    std::lock_guard lock(mutex);
    return messages;
  }
};

// One broker service and one device connection for the whole executable: every Paho client
// after the first costs about 2 s to connect.
struct Run {
  otasim::testing::TempDir dir{"otasim-broker-service"};
  std::unique_ptr<broker::BrokerService> service;
  std::unique_ptr<mqtt::Client> device_a;  // "dev-a"

  Run() {
    broker::BrokerServiceOptions options;
    options.dir = dir.path() / "broker";
    options.device_users = {"dev-a", "dev-b"};
    auto started = broker::BrokerService::Start(options);
    if (!started) throw std::runtime_error(started.error().What());
    service = std::move(*started);
    const BrokerAccess a = Access("dev-a");
    mqtt::ClientOptions device;
    device.uri = "ssl://" + a.uri.substr(std::string("mqtts://").size());
    device.client_id = a.device_username;
    device.username = a.device_username;
    device.password = a.device_password;
    device.ca_file = service->ca_file();
    auto connected = mqtt::Client::Connect(device);
    if (!connected) throw std::runtime_error(connected.error().What());
    device_a = std::move(*connected);
  }

  BrokerAccess Access(const std::string& user) {
    auto access = service->ForSession(user);
    if (!access) throw std::runtime_error(access.error().What());
    return *access;
  }
};

Run& TheRun() {
  static Run run;
  return run;
}

}  // namespace

BOOST_AUTO_TEST_CASE(broker_urls_parse) {
  auto url = broker::ParseBrokerUrl("mqtts://ota%40vendor:s%3Acret@broker.example:8884");
  BOOST_REQUIRE(url.ok());
  BOOST_TEST(url->tls);
  BOOST_TEST(url->host == "broker.example");
  BOOST_TEST(url->port == 8884);
  BOOST_TEST(url->username == "ota@vendor");
  BOOST_TEST(url->password == "s:cret");
  BOOST_TEST(url->PahoUri() == "ssl://broker.example:8884");
  auto plain = broker::ParseBrokerUrl("mqtt://10.0.0.1");
  BOOST_REQUIRE(plain.ok());
  BOOST_TEST(plain->port == 1883);
  BOOST_TEST(plain->DeviceUri() == "mqtt://10.0.0.1:1883");
  for (const char* bad : {"http://x:1", "mqtts://", "mqtts://h:0", "mqtts://h:99999", "mqtts://h/p",
                          "mqtts://:pw@h", "mqtts://u%4@h"}) {
    BOOST_TEST_CONTEXT(bad) { BOOST_TEST(!broker::ParseBrokerUrl(bad).ok()); }
  }
}

BOOST_AUTO_TEST_CASE(sessions_get_their_own_root_and_credentials) {
  Run& run = TheRun();
  const BrokerAccess a = run.Access("dev-a");
  const BrokerAccess b = run.Access("dev-b");
  BOOST_TEST(a.topic_root == "otasim/dev-a");
  BOOST_TEST(a.uri.rfind("mqtts://127.0.0.1:", 0) == 0);
  BOOST_TEST(a.device_username == "dev-a");
  BOOST_TEST(a.device_password != b.device_password);
  BOOST_TEST(a.server == b.server);  // one shared connection
  BOOST_TEST(a.intruder != nullptr);
  BOOST_TEST(run.service->ca_pem().find("BEGIN CERTIFICATE") != std::string::npos);
  auto unknown = run.service->ForSession("dev-z");
  BOOST_REQUIRE(!unknown.ok());
  BOOST_TEST((unknown.error().code() == otasim::Errc::kNotFound));
  auto plain = run.service->ForSession("dev-a", /*tls=*/false);
  BOOST_REQUIRE(plain.ok());
  BOOST_TEST(plain->uri.rfind("mqtt://127.0.0.1:", 0) == 0);
}

// The ACL: a device can neither write its own jobs topic nor read another device's.
BOOST_AUTO_TEST_CASE(device_acl_confines_a_device_to_its_topics) {
  Run& run = TheRun();
  const BrokerAccess a = run.Access("dev-a");
  Inbox server_seen;
  BOOST_REQUIRE(a.server->Subscribe(a.topic_root + "/#", [&](const BusMessage& m) { server_seen.Add(m); }).ok());
  // Published first, so that the allowed status message after it proves it was dropped.
  BOOST_REQUIRE(run.device_a->Publish(a.topic_root + "/jobs/notify", "forged job").ok());
  BOOST_REQUIRE(run.device_a->Publish(a.topic_root + "/status", "{\"result\":\"installed\"}").ok());
  auto seen = server_seen.WaitFor(1);
  BOOST_REQUIRE(a.server->Unsubscribe(a.topic_root + "/#").ok());
  BOOST_REQUIRE_EQUAL(seen.size(), 1u);
  BOOST_TEST(seen[0].topic == a.topic_root + "/status");

  Inbox device_seen;
  const std::string other_jobs = "otasim/dev-b/jobs/#";
  BOOST_REQUIRE(run.device_a->Subscribe(other_jobs, [&](const mqtt::Message& m) {
    device_seen.Add({m.topic, m.payload, m.retained});
  }).ok());
  BOOST_REQUIRE(run.device_a->Subscribe(a.topic_root + "/jobs/#", [&](const mqtt::Message& m) {
    device_seen.Add({m.topic, m.payload, m.retained});
  }).ok());
  BOOST_REQUIRE(a.server->Publish("otasim/dev-b/jobs/notify", "job for b").ok());
  BOOST_REQUIRE(a.server->Publish(a.topic_root + "/jobs/notify", "job for a").ok());
  auto got = device_seen.WaitFor(1);
  BOOST_REQUIRE(run.device_a->Unsubscribe(other_jobs).ok());
  BOOST_REQUIRE(run.device_a->Unsubscribe(a.topic_root + "/jobs/#").ok());
  BOOST_REQUIRE_EQUAL(got.size(), 1u);
  BOOST_TEST(got[0].payload == "job for a");
}

// Two sessions on the one server connection: each handler sees its own device only, and an
// unsubscribed handler is never called again.
BOOST_AUTO_TEST_CASE(shared_server_bus_keeps_sessions_apart) {
  Run& run = TheRun();
  const BrokerAccess a = run.Access("dev-a");
  const BrokerAccess b = run.Access("dev-b");
  Inbox inbox_a;
  Inbox inbox_b;
  // Subscribed concurrently, as two sessions starting at once would.
  std::thread sub_a([&] {
    BOOST_TEST(a.server->Subscribe(a.topic_root + "/status/#", [&](const BusMessage& m) { inbox_a.Add(m); }).ok());
  });
  std::thread sub_b([&] {
    BOOST_TEST(b.server->Subscribe(b.topic_root + "/status/#", [&](const BusMessage& m) { inbox_b.Add(m); }).ok());
  });
  sub_a.join();
  sub_b.join();
  BOOST_TEST(!a.server->Subscribe(a.topic_root + "/status/#", [](const BusMessage&) {}).ok());

  BOOST_REQUIRE(run.device_a->Publish(a.topic_root + "/status", "from a").ok());
  BOOST_REQUIRE(a.server->Publish(b.topic_root + "/status", "to b").ok());
  BOOST_REQUIRE_EQUAL(inbox_a.WaitFor(1).size(), 1u);
  BOOST_REQUIRE_EQUAL(inbox_b.WaitFor(1).size(), 1u);
  BOOST_TEST(inbox_a.Snapshot()[0].payload == "from a");
  BOOST_TEST(inbox_b.Snapshot()[0].payload == "to b");

  BOOST_REQUIRE(a.server->Unsubscribe(a.topic_root + "/status/#").ok());
  BOOST_REQUIRE(run.device_a->Publish(a.topic_root + "/status", "late").ok());
  // b's handler seeing a later message proves a's "late" had its chance to be delivered.
  BOOST_REQUIRE(a.server->Publish(b.topic_root + "/status", "marker").ok());
  BOOST_REQUIRE_EQUAL(inbox_b.WaitFor(2).size(), 2u);
  BOOST_TEST(inbox_a.Snapshot().size() == 1u);
  BOOST_REQUIRE(b.server->Unsubscribe(b.topic_root + "/status/#").ok());
}

// Unsubscribe from inside the handler itself must neither deadlock nor call it again.
BOOST_AUTO_TEST_CASE(a_handler_may_unsubscribe_itself) {
  Run& run = TheRun();
  const BrokerAccess a = run.Access("dev-a");
  const std::string filter = a.topic_root + "/request/#";
  std::atomic<int> calls{0};
  Inbox done;
  BOOST_REQUIRE(a.server->Subscribe(filter, [&](const BusMessage& m) {
    ++calls;
    (void)a.server->Unsubscribe(filter);
    done.Add(m);
  }).ok());
  BOOST_REQUIRE(run.device_a->Publish(a.topic_root + "/request/job", "1").ok());
  BOOST_REQUIRE(run.device_a->Publish(a.topic_root + "/request/job", "2").ok());
  BOOST_REQUIRE_EQUAL(done.WaitFor(1).size(), 1u);
  // A later subscription seeing a later message: "2" was delivered or dropped by then.
  Inbox after;
  BOOST_REQUIRE(a.server->Subscribe(a.topic_root + "/status/#", [&](const BusMessage& m) { after.Add(m); }).ok());
  BOOST_REQUIRE(run.device_a->Publish(a.topic_root + "/status", "3").ok());
  BOOST_REQUIRE_EQUAL(after.WaitFor(1).size(), 1u);
  BOOST_REQUIRE(a.server->Unsubscribe(a.topic_root + "/status/#").ok());
  BOOST_TEST(calls.load() == 1);
}

BOOST_AUTO_TEST_CASE(an_external_broker_uses_the_given_credentials) {
  Run& run = TheRun();
  const BrokerAccess b = run.Access("dev-b");
  const std::string port = b.uri.substr(b.uri.rfind(':') + 1);
  broker::BrokerServiceOptions options;
  options.dir = run.dir.path() / "external";
  options.external = broker::ExternalBroker{
      "mqtts://dev-b:" + b.device_password + "@127.0.0.1:" + port, run.service->ca_file()};
  auto external = broker::BrokerService::Start(options);
  BOOST_REQUIRE_MESSAGE(external.ok(), (external.ok() ? "" : external.error().What()));
  BOOST_TEST((*external)->external());
  BOOST_TEST((*external)->broker_pid() == 0);
  auto access = (*external)->ForSession("dev-b");
  BOOST_REQUIRE(access.ok());
  BOOST_TEST(access->device_username == "dev-b");
  BOOST_TEST(access->device_password == b.device_password);
  BOOST_TEST(access->intruder == nullptr);
  BOOST_TEST(access->topic_root == "otasim/dev-b");
  // dev-b may write its own status topic: the connection works with those credentials.
  BOOST_TEST(access->server->Publish("otasim/dev-b/status", "{}").ok());
  BOOST_TEST((*external)->Stop().ok());
  BOOST_TEST(!access->server->Publish("otasim/dev-b/status", "{}").ok());
}

// Last: stopping the shared run's broker leaves no Mosquitto behind, and the buses handed out
// refuse cleanly afterwards.
BOOST_AUTO_TEST_CASE(stop_leaves_no_broker_process) {
  Run& run = TheRun();
  const BrokerAccess a = run.Access("dev-a");
  const pid_t pid = run.service->broker_pid();
  BOOST_REQUIRE(pid > 0);
  BOOST_REQUIRE(Alive(pid));
  run.device_a.reset();
  BOOST_TEST(run.service->Stop().ok());
  BOOST_TEST(!Alive(pid));
  BOOST_TEST(run.service->broker_pid() == 0);
  auto refused = a.server->Publish(a.topic_root + "/jobs/notify", "x");
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST((refused.error().code() == otasim::Errc::kNetwork));
  BOOST_TEST(!a.intruder->Publish(a.topic_root + "/jobs/notify", "x").ok());  // no reconnect
  BOOST_TEST(run.service->Stop().ok());  // idempotent
}
