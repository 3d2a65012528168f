#define BOOST_TEST_MODULE mqtt_test
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "broker.hpp"
#include "client.hpp"
#include "otasim/crypto.hpp"
#include "otasim/files.hpp"

namespace fs = std::filesystem;
namespace mqtt = otasim::mqtt;
namespace crypto = otasim::crypto;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

extern char** environ;

namespace {

constexpr const char* kChildEnv = "OTASIM_MQTT_TEST_BROKER_CHILD";

std::vector<mqtt::BrokerUser> Users() {
  return {{"server", "server-secret", mqtt::UserRole::kServer},
          {"dev-1", "dev-1-secret", mqtt::UserRole::kDevice},
          {"dev-2", "dev-2-secret", mqtt::UserRole::kDevice},
          {"dev-3", "dev-3-secret", mqtt::UserRole::kDevice}};
}

fs::path TempDir(const std::string& name) {
  std::random_device random;
  const fs::path dir = fs::temp_directory_path() /
                       ("otasim-mqtt-test-" + name + "-" + std::to_string(random()));
  fs::create_directories(dir);
  return dir;
}

// The process-death test re-runs this executable with kChildEnv set: it starts a broker from
// its main thread, writes the broker's pid and waits to be killed. It runs before main(), in a
// fresh single-threaded process.
[[noreturn]] void RunBrokerChild(const fs::path& dir) {
  mqtt::BrokerOptions options;
  options.dir = dir / "broker";
  options.users = Users();
  auto broker = mqtt::Broker::Start(options);
  if (!broker.ok()) _exit(3);
  if (!otasim::WriteFileAtomic(dir / "broker.pid", std::to_string((*broker)->pid())).ok()) _exit(4);
  while (true) pause();
}

[[maybe_unused]] const bool kIsChild = [] {
  if (const char* dir = std::getenv(kChildEnv)) RunBrokerChild(dir);
  return false;
}();

bool Alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return false;
  std::string line;
  std::getline(stat, line);
  const auto paren = line.rfind(')');
  // A zombie waiting for its new parent to reap it is dead.
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z';
}

bool GoneWithin(pid_t pid, milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Alive(pid)) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return true;
}

// Collects the messages a handler receives.
class Inbox {
 public:
  mqtt::MessageHandler Handler() {
    return [this](const mqtt::Message& message) {
      {
        std::lock_guard lock(mutex_);
        messages_.push_back(message);
      }
      changed_.notify_all();
    };
  }
  // Waits until at least `count` messages arrived or `limit` passed; returns all so far.
  std::vector<mqtt::Message> WaitFor(std::size_t count, milliseconds limit) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, limit, [&] { return messages_.size() >= count; });
    return messages_;
  }
  // Waits until a message with this topic and payload arrived, or `limit` passed.
  bool WaitForMessage(const std::string& topic, const std::string& payload, milliseconds limit) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [&] {
      for (const auto& m : messages_) {
        if (m.topic == topic && m.payload == payload) return true;
      }
      return false;
    });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<mqtt::Message> messages_;
};

template <class T>
T Require(otasim::Result<T> result) {
  BOOST_TEST_REQUIRE(result.ok(), (result.ok() ? "" : result.error().What()));
  return std::move(*result);
}

void RequireOk(const otasim::Status& status) {
  BOOST_TEST_REQUIRE(status.ok(), (status.ok() ? "" : status.error().What()));
}

mqtt::ClientOptions Plain(const mqtt::Broker& broker, const std::string& user) {
  mqtt::ClientOptions options;
  options.uri = broker.PlainUri();
  options.client_id = user + "-client";
  options.username = user;
  options.password = user + "-secret";
  options.timeout = milliseconds(5000);
  return options;
}

// One broker with a TLS listener, a server client and a dev-1 client, shared by the tests
// below: each extra Paho client in a process costs about 2 s to connect.
struct Shared {
  fs::path dir = TempDir("shared");
  std::unique_ptr<mqtt::Broker> broker;
  std::unique_ptr<mqtt::Client> server;
  std::unique_ptr<mqtt::Client> dev1;
  Inbox server_inbox;  // everything under otasim/#

  Shared() {
    mqtt::BrokerOptions options;
    options.dir = dir / "broker";
    options.users = Users();
    options.ca = Require(crypto::CertificateAuthority::Create("otasim test CA"));
    broker = Require(mqtt::Broker::Start(options));
    server = Require(mqtt::Client::Connect(Plain(*broker, "server")));
    RequireOk(server->Subscribe("otasim/#", server_inbox.Handler()));
    dev1 = Require(mqtt::Client::Connect(Plain(*broker, "dev-1")));
  }
  ~Shared() {
    server.reset();
    dev1.reset();
    broker.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

Shared& SharedBroker() {
  static Shared shared;
  return shared;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mqtt_broker)

BOOST_AUTO_TEST_CASE(starts_and_stops_leaving_no_process) {
  const fs::path dir = TempDir("lifecycle");
  mqtt::BrokerOptions options;
  options.dir = dir / "broker";
  options.users = Users();
  auto broker = Require(mqtt::Broker::Start(options));
  const pid_t pid = broker->pid();
  BOOST_TEST(pid > 0);
  BOOST_TEST(broker->plain_port() > 0);
  BOOST_TEST(broker->tls_port() == 0);  // no CA, no TLS listener
  BOOST_TEST(Alive(pid));
  RequireOk(broker->Stop());
  BOOST_TEST(broker->pid() == 0);
  BOOST_TEST(!fs::exists("/proc/" + std::to_string(pid)));
  RequireOk(broker->Stop());  // idempotent
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(destructor_stops_the_broker) {
  const fs::path dir = TempDir("destructor");
  mqtt::BrokerOptions options;
  options.dir = dir / "broker";
  options.users = Users();
  pid_t pid = 0;
  {
    auto broker = Require(mqtt::Broker::Start(options));
    pid = broker->pid();
  }
  BOOST_TEST(!fs::exists("/proc/" + std::to_string(pid)));
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(a_bad_config_returns_the_log) {
  const fs::path dir = TempDir("badconfig");
  mqtt::BrokerOptions options;
  options.dir = dir / "broker";
  options.users = Users();
  options.mosquitto = "/bin/false";
  auto broker = mqtt::Broker::Start(options);
  BOOST_TEST_REQUIRE(!broker.ok());
  BOOST_TEST(broker.error().message().find("exited at start") != std::string::npos,
             broker.error().What());
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(dies_with_its_parent_process) {
  const fs::path dir = TempDir("orphan");
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  env_strings.push_back(std::string(kChildEnv) + "=" + dir.string());
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string self = fs::read_symlink("/proc/self/exe").string();
  char* argv[] = {self.data(), nullptr};
  pid_t child = 0;
  BOOST_TEST_REQUIRE(posix_spawn(&child, self.c_str(), nullptr, nullptr, argv, envp.data()) == 0);

  const fs::path pid_file = dir / "broker.pid";
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (!fs::exists(pid_file) && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  pid_t broker_pid = 0;
  if (fs::exists(pid_file)) broker_pid = std::stoi(otasim::ReadFile(pid_file).value());
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  BOOST_TEST_REQUIRE(broker_pid > 0, "the child did not start a broker");
  BOOST_TEST(GoneWithin(broker_pid, milliseconds(5000)));
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(mqtt_client)

BOOST_AUTO_TEST_CASE(topic_filters_match) {
  BOOST_TEST(mqtt::TopicMatches("a/b", "a/b"));
  BOOST_TEST(!mqtt::TopicMatches("a/b", "a/c"));
  BOOST_TEST(mqtt::TopicMatches("a/+/c", "a/b/c"));
  BOOST_TEST(!mqtt::TopicMatches("a/+", "a/b/c"));
  BOOST_TEST(mqtt::TopicMatches("a/#", "a/b/c"));
  BOOST_TEST(mqtt::TopicMatches("a/#", "a"));
  BOOST_TEST(mqtt::TopicMatches("#", "a/b"));
  BOOST_TEST(!mqtt::TopicMatches("a/b/c", "a/b"));
}

BOOST_AUTO_TEST_CASE(round_trip_over_plain) {
  Shared& shared = SharedBroker();
  const auto topics = mqtt::TopicsFor("otasim", "dev-1");
  Inbox jobs;
  RequireOk(shared.dev1->Subscribe(topics.jobs + "/#", jobs.Handler()));
  RequireOk(shared.server->Publish(topics.jobs + "/notify", "job-1"));
  const auto got = jobs.WaitFor(1, milliseconds(5000));
  BOOST_TEST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].topic == topics.jobs + "/notify");
  BOOST_TEST(got[0].payload == "job-1");
  BOOST_TEST(got[0].qos == 1);

  RequireOk(shared.dev1->Publish(topics.status, "installed"));
  BOOST_TEST(shared.server_inbox.WaitForMessage(topics.status, "installed", milliseconds(5000)));
  RequireOk(shared.dev1->Unsubscribe(topics.jobs + "/#"));
}

BOOST_AUTO_TEST_CASE(retained_job_reaches_a_late_subscriber) {
  Shared& shared = SharedBroker();
  const auto topics = mqtt::TopicsFor("otasim", "dev-1");
  RequireOk(shared.server->Publish(topics.jobs + "/retained", "stale-job", true));
  Inbox jobs;
  RequireOk(shared.dev1->Subscribe(topics.jobs + "/retained", jobs.Handler()));
  const auto got = jobs.WaitFor(1, milliseconds(5000));
  BOOST_TEST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].payload == "stale-job");
  BOOST_TEST(got[0].retained);
  RequireOk(shared.server->Publish(topics.jobs + "/retained", "", true));  // clear it
  RequireOk(shared.dev1->Unsubscribe(topics.jobs + "/retained"));
}

BOOST_AUTO_TEST_CASE(round_trip_over_tls) {
  Shared& shared = SharedBroker();
  const auto topics = mqtt::TopicsFor("otasim", "dev-2");
  mqtt::ClientOptions options = Plain(*shared.broker, "dev-2");
  options.uri = shared.broker->TlsUri();
  options.ca_file = shared.broker->ca_file();
  auto dev2 = Require(mqtt::Client::Connect(options));
  Inbox jobs;
  RequireOk(dev2->Subscribe(topics.jobs + "/#", jobs.Handler()));
  RequireOk(shared.server->Publish(topics.jobs + "/notify", "job-over-tls"));
  const auto got = jobs.WaitFor(1, milliseconds(5000));
  BOOST_TEST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].payload == "job-over-tls");
  RequireOk(dev2->Disconnect());
  BOOST_TEST(!dev2->connected());
  BOOST_TEST(!dev2->Publish(topics.status, "late").ok());
}

BOOST_AUTO_TEST_CASE(tls_with_an_untrusted_ca_is_refused) {
  Shared& shared = SharedBroker();
  const fs::path dir = TempDir("rogue");
  auto rogue = Require(crypto::CertificateAuthority::Create("rogue CA"));
  RequireOk(otasim::WriteFileAtomic(dir / "rogue.pem", rogue.cert_pem()));
  mqtt::ClientOptions options = Plain(*shared.broker, "dev-2");
  options.uri = shared.broker->TlsUri();
  options.ca_file = dir / "rogue.pem";
  auto client = mqtt::Client::Connect(options);
  BOOST_TEST_REQUIRE(!client.ok());
  BOOST_TEST((client.error().code() == otasim::Errc::kNetwork), client.error().What());
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(wrong_password_is_refused) {
  Shared& shared = SharedBroker();
  mqtt::ClientOptions options = Plain(*shared.broker, "dev-3");
  options.password = "not-the-password";
  auto client = mqtt::Client::Connect(options);
  BOOST_TEST_REQUIRE(!client.ok());
  BOOST_TEST((client.error().code() == otasim::Errc::kNetwork));
  BOOST_TEST(client.error().message().find("refused") != std::string::npos, client.error().What());
}

BOOST_AUTO_TEST_CASE(acl_lets_only_the_server_publish_jobs) {
  Shared& shared = SharedBroker();
  const auto dev1_topics = mqtt::TopicsFor("otasim", "dev-1");
  const auto dev3_topics = mqtt::TopicsFor("otasim", "dev-3");
  Inbox jobs;
  RequireOk(shared.dev1->Subscribe(dev1_topics.jobs + "/#", jobs.Handler()));
  auto dev3 = Require(mqtt::Client::Connect(Plain(*shared.broker, "dev-3")));

  // Another device's job topic, its own job topic and another device's status topic: the
  // broker acknowledges and drops them.
  RequireOk(dev3->Publish(dev1_topics.jobs + "/notify", "forged-job"));
  RequireOk(dev3->Publish(dev3_topics.jobs + "/notify", "self-made-job"));
  RequireOk(dev3->Publish(dev1_topics.status, "forged-status"));
  // A device may not read another device's jobs either: Mosquitto 2.0 grants the
  // subscription but delivers nothing on it.
  Inbox stolen;
  (void)dev3->Subscribe(dev1_topics.jobs + "/#", stolen.Handler());

  // The server's job arrives, and nothing before it.
  RequireOk(shared.server->Publish(dev1_topics.jobs + "/notify", "real-job"));
  auto got = jobs.WaitFor(2, milliseconds(1500));
  BOOST_TEST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].payload == "real-job");
  for (const auto& m : shared.server_inbox.WaitFor(1000, milliseconds(200))) {
    BOOST_TEST(m.payload.find("forged") == std::string::npos, m.topic << ": " << m.payload);
    BOOST_TEST(m.payload != "self-made-job");
  }
  BOOST_TEST(stolen.WaitFor(1, milliseconds(100)).empty());
  RequireOk(shared.dev1->Unsubscribe(dev1_topics.jobs + "/#"));
}

BOOST_AUTO_TEST_CASE(client_certificates_name_the_user) {
  const fs::path dir = TempDir("mtls");
  auto ca = Require(crypto::CertificateAuthority::Create("otasim mTLS CA"));
  mqtt::BrokerOptions options;
  options.dir = dir / "broker";
  options.users = Users();
  options.ca = ca;
  options.require_client_cert = true;
  auto broker = Require(mqtt::Broker::Start(options));

  crypto::CertRequest request;
  request.common_name = "dev-2";
  request.server = false;
  request.client = true;
  const auto cert = Require(ca.Issue(request));
  RequireOk(otasim::WriteFileAtomic(dir / "dev-2.pem", cert.cert_pem));
  RequireOk(otasim::WriteFileAtomic(dir / "dev-2.key", cert.key_pem, otasim::kPermsPrivate));

  mqtt::ClientOptions client_options;
  client_options.uri = broker->TlsUri();
  client_options.client_id = "dev-2-mtls";
  client_options.ca_file = broker->ca_file();
  client_options.timeout = milliseconds(5000);
  // Without a certificate the handshake fails.
  BOOST_TEST(!mqtt::Client::Connect(client_options).ok());

  client_options.cert_file = dir / "dev-2.pem";
  client_options.key_file = dir / "dev-2.key";
  auto dev2 = Require(mqtt::Client::Connect(client_options));
  // The certificate's CN is the user: dev-2 reads its own jobs, not dev-1's.
  Inbox own;
  Inbox other;
  RequireOk(dev2->Subscribe("otasim/dev-2/jobs/#", own.Handler()));
  (void)dev2->Subscribe("otasim/dev-1/jobs/#", other.Handler());
  auto server = Require(mqtt::Client::Connect(Plain(*broker, "server")));
  RequireOk(server->Publish("otasim/dev-1/jobs/notify", "not-for-dev-2"));
  RequireOk(server->Publish("otasim/dev-2/jobs/notify", "for-dev-2"));
  const auto got = own.WaitFor(1, milliseconds(5000));
  BOOST_TEST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].payload == "for-dev-2");
  BOOST_TEST(other.WaitFor(1, milliseconds(300)).empty());
  RequireOk(dev2->Disconnect());
  RequireOk(server->Disconnect());
  RequireOk(broker->Stop());
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
