#define BOOST_TEST_MODULE mqtt_broker_lifecycle
#include <boost/test/unit_test.hpp>

// otasim starts one private Mosquitto for a run with MQTT sessions. Whatever happens to the
// run — it ends, it is interrupted with Ctrl-C, it is killed outright — no broker may survive
// it, and no temporary directory either.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "broker.hpp"
#include "support/run_otasim.hpp"
#include "support/temp_dir.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using otasim::testing::TempDir;

// Mosquitto processes whose command line mentions `marker` (the run's private TMPDIR).
std::vector<pid_t> BrokersUnder(const std::string& marker) {
  std::vector<pid_t> pids;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream cmdline(entry.path() / "cmdline");
    std::string text((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
    std::ifstream stat(entry.path() / "stat");
    std::string stat_text;
    std::getline(stat, stat_text);
    const bool zombie = stat_text.find(") Z ") != std::string::npos;
    if (!zombie && text.find("mosquitto") != std::string::npos &&
        text.find(marker) != std::string::npos) {
      pids.push_back(std::stoi(name));
    }
  }
  return pids;
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::seconds limit) {
  const auto until = Clock::now() + limit;
  while (Clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

// An `otasim run` over MQTT whose temporary files all live under `tmp`.
class OtasimProcess {
 public:
  OtasimProcess(const fs::path& tmp, const std::vector<std::string>& scenario_args) {
    std::vector<std::string> args = {std::string(OTASIM_BIN_DIR) + "/otasim", "-q", "run",
                                     "--target", "reference", "--protocol", "mqtt", "-j", "1",
                                     "--out", (tmp / "out").string()};
    args.insert(args.end(), scenario_args.begin(), scenario_args.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_strings = {"TMPDIR=" + tmp.string()};
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::string(*e).rfind("TMPDIR=", 0) != 0) env_strings.emplace_back(*e);
    }
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, (tmp / "otasim.log").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    BOOST_REQUIRE_MESSAGE(rc == 0, "posix_spawn otasim failed: " << rc);
  }
  ~OtasimProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      Wait(std::chrono::seconds(10));
    }
  }

  void Signal(int signal) { kill(pid_, signal); }

  // The exit status (as from waitpid), or -1 when it did not end in time.
  int Wait(std::chrono::seconds limit) {
    int status = -1;
    const bool ended = WaitFor([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, limit);
    if (!ended) return -1;
    pid_ = 0;
    return status;
  }

 private:
  pid_t pid_ = 0;
};

std::string Log(const fs::path& tmp) {
  std::ifstream in(tmp / "otasim.log");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool HasRunDirectories(const fs::path& tmp) {
  for (const auto& entry : fs::directory_iterator(tmp)) {
    if (entry.path().filename().string().rfind("otasim-run-", 0) == 0) return true;
  }
  return false;
}

const std::vector<std::string> kLongRun = {"--scenario", "baseline/*", "--scenario", "tamper/*",
                                           "--scenario", "interrupt/*"};

}  // namespace

BOOST_AUTO_TEST_SUITE(mqtt_broker_lifecycle_tests)

BOOST_AUTO_TEST_CASE(a_finished_run_leaves_no_broker_and_no_temporary_files) {
  TempDir tmp("otasim-broker-life");
  OtasimProcess otasim(tmp.path(), {"--scenario", "baseline/legitimate-update"});
  const int status = otasim.Wait(std::chrono::seconds(120));
  BOOST_TEST_INFO(Log(tmp.path()));
  BOOST_REQUIRE(status != -1);
  BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0), "the run passes");
  BOOST_TEST(BrokersUnder(tmp.path().string()).empty());
  BOOST_TEST(!HasRunDirectories(tmp.path()));
}

BOOST_AUTO_TEST_CASE(an_interrupted_run_stops_its_broker) {
  TempDir tmp("otasim-broker-life");
  OtasimProcess otasim(tmp.path(), kLongRun);
  BOOST_REQUIRE_MESSAGE(WaitFor([&] { return !BrokersUnder(tmp.path().string()).empty(); },
                                std::chrono::seconds(60)),
                        "the broker started");
  otasim.Signal(SIGINT);
  const int status = otasim.Wait(std::chrono::seconds(120));
  BOOST_TEST_INFO(Log(tmp.path()));
  BOOST_REQUIRE(status != -1);
  BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 3), "an interrupted run exits 3");
  BOOST_TEST(BrokersUnder(tmp.path().string()).empty());
  BOOST_TEST(!HasRunDirectories(tmp.path()));
}

BOOST_AUTO_TEST_CASE(a_killed_run_takes_its_broker_with_it) {
  TempDir tmp("otasim-broker-life");
  OtasimProcess otasim(tmp.path(), kLongRun);
  BOOST_REQUIRE_MESSAGE(WaitFor([&] { return !BrokersUnder(tmp.path().string()).empty(); },
                                std::chrono::seconds(60)),
                        "the broker started");
  otasim.Signal(SIGKILL);
  BOOST_REQUIRE(otasim.Wait(std::chrono::seconds(30)) != -1);
  // The kernel kills the broker (parent-death signal); give init a moment to reap it.
  BOOST_TEST(WaitFor([&] { return BrokersUnder(tmp.path().string()).empty(); },
                     std::chrono::seconds(10)),
             "no broker survives a SIGKILL of otasim");
}

// --broker: a broker otasim did not start (here one started by the test, with one account for
// everyone), reached over TLS with its CA. otasim creates no users and stops nothing.
BOOST_AUTO_TEST_CASE(an_existing_broker_is_used_as_given) {
  TempDir tmp("otasim-broker-life");
  otasim::mqtt::BrokerOptions options;
  options.dir = tmp.path() / "external";
  options.users = {{"fleet", "fleet-secret", otasim::mqtt::UserRole::kServer}};
  auto ca = otasim::crypto::CertificateAuthority::Create("external broker CA");
  BOOST_REQUIRE(ca.ok());
  options.ca = std::move(*ca);
  auto broker = otasim::mqtt::Broker::Start(options);
  BOOST_REQUIRE_MESSAGE(broker.ok(), (broker.ok() ? "" : broker.error().What()));
  const std::string url = "mqtts://fleet:fleet-secret@127.0.0.1:" + std::to_string((*broker)->tls_port());

  auto run = otasim::testing::RunOtasim({"--target", "reference", "--protocol", "mqtt", "--scenario",
                                         "baseline/legitimate-update", "--broker", url,
                                         "--broker-ca", (*broker)->ca_file().string()},
                                        "external-broker");
  BOOST_TEST_INFO(run.output);
  BOOST_TEST(run.exit_code == 0);
  BOOST_REQUIRE(run.report.is_object());
  BOOST_TEST(run.report.at("scenarios")[0].at("verdict") == "pass");
  BOOST_TEST(kill((*broker)->pid(), 0) == 0, "otasim left the external broker running");

  auto bad = otasim::testing::RunOtasimCommand({"run", "--target", "reference", "--protocol", "mqtt",
                                                "--broker", "ftp://nowhere"});
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(bad.output.find("--broker") != std::string::npos, bad.output);
}

BOOST_AUTO_TEST_SUITE_END()
