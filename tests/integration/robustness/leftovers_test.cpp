#define BOOST_TEST_MODULE robustness_leftovers
#include <boost/test/unit_test.hpp>

// Many `otasim run`s in a row leave nothing behind: no process (device, Mosquitto), no socket
// they opened, no temporary directory.

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <random>

#include "integration/robustness/spawn.hpp"

namespace {

namespace fs = std::filesystem;
using namespace otasim::testing;

// Each run is one single-step scenario; every 10th is over CoAP and MQTT too (the MQTT run
// starts and stops its own Mosquitto). A run takes 2-4 s on a loaded 2-core machine, so the
// dev test run does 20; OTASIM_ROBUSTNESS_RUNS=100 does the full hundred.
int Runs() {
  const char* text = std::getenv("OTASIM_ROBUSTNESS_RUNS");
  return text != nullptr && std::atoi(text) > 0 ? std::atoi(text) : 20;
}

std::string Marker() {
  std::random_device random;
  return std::to_string(getpid()) + "-" + std::to_string(random());
}

}  // namespace

BOOST_AUTO_TEST_CASE(many_runs_leave_no_process_socket_or_temp_dir) {
  TempDir work("otasim-robustness-leftovers");
  const fs::path tmpdir = work.path() / "tmp";
  fs::create_directories(tmpdir);
  const std::string marker = Marker();
  const auto scenario = fs::path(OTASIM_SOURCE_DIR) / "tests/data/robustness/quick-update.yaml";
  const auto before = ListeningSockets();

  const int runs = Runs();
  for (int i = 0; i < runs; ++i) {
    const std::string protocols = i % 10 == 0 ? "http,coap,mqtt" : "http";
    const fs::path out = work.path() / ("run-" + std::to_string(i));
    auto run = SpawnOtasimRun({"--target", "reference", "--scenario", scenario.string(),
                               "--protocol", protocols},
                              out, tmpdir, marker);
    BOOST_TEST_CONTEXT("run " << i << " over " << protocols) {
      BOOST_REQUIRE(run.exit_code == 0);
      BOOST_REQUIRE(run.report.is_object());
      for (const auto& s : run.report["scenarios"]) BOOST_TEST(s["verdict"] == "pass", s.dump());
      // Checked after every run, so that a leak names the run that made it.
      BOOST_REQUIRE_MESSAGE(MarkedProcesses(marker).empty(), "a process of the run is still alive");
      BOOST_REQUIRE_MESSAGE(IsEmptyDir(tmpdir), "the run left something in TMPDIR");
    }
    fs::remove_all(out);
  }

  // Sockets: the ones that appeared and are still there. Other programs on the machine may open
  // sockets meanwhile; none of ours can be left, because no process of ours is (checked above),
  // so anything new must belong to someone else's process — name it if it does.
  const auto after = ListeningSockets();
  std::vector<std::string> appeared;
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(),
                      std::back_inserter(appeared));
  BOOST_TEST_MESSAGE("listening sockets that appeared meanwhile (not ours): " << appeared.size());
  BOOST_TEST(MarkedProcesses(marker).empty());
}
