#define BOOST_TEST_MODULE robustness_misbehaving_device
#include <boost/test/unit_test.hpp>

// A device whose `check` crashes or hangs: each scenario gets `error` with the reason (the
// signal, or the deadline), the run goes on to the next scenario and ends with a report.

#include "integration/robustness/spawn.hpp"

namespace {

namespace fs = std::filesystem;
using namespace otasim::testing;

const fs::path kData = fs::path(OTASIM_SOURCE_DIR) / "tests/data/robustness";

nlohmann::json RunFakeDevice(const TempDir& work, const std::string& mode) {
  const fs::path tmpdir = work.path() / ("tmp-" + mode);
  fs::create_directories(tmpdir);
  auto run = SpawnOtasimRun({"--target", (kData / "fake_device.yaml").string(), "--target-param",
                             "mode=" + mode, "--protocol", "http", "--scenario",
                             (kData / "quick-update.yaml").string(), "--scenario",
                             (kData / "quick-update-again.yaml").string()},
                            work.path() / ("out-" + mode), tmpdir, "device-" + mode);
  BOOST_TEST(run.exit_code != -1, "otasim itself hung or was killed");
  BOOST_TEST(fs::is_empty(tmpdir));
  return run.report;
}

void ExpectEveryScenarioErrors(const nlohmann::json& report, const std::string& reason_part) {
  BOOST_REQUIRE(report.is_object());
  BOOST_REQUIRE(report["scenarios"].size() == 2u);  // the second scenario ran after the first
  for (const auto& s : report["scenarios"]) {
    BOOST_TEST(s["verdict"] == "error", s.dump());
    BOOST_TEST(s["reason"].get<std::string>().find(reason_part) != std::string::npos, s.dump());
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_device_that_segfaults_in_check_is_an_error_naming_the_signal) {
  TempDir work("otasim-robustness-device");
  ExpectEveryScenarioErrors(RunFakeDevice(work, "segv"), "signal 11");
}

BOOST_AUTO_TEST_CASE(a_device_that_hangs_in_check_is_an_error_naming_the_deadline) {
  TempDir work("otasim-robustness-device");
  ExpectEveryScenarioErrors(RunFakeDevice(work, "hang"), "timed out");
}

BOOST_AUTO_TEST_CASE(the_same_device_without_misbehaviour_passes) {
  // The fake device itself works: the errors above come from the crash and the hang.
  TempDir work("otasim-robustness-device");
  auto report = RunFakeDevice(work, "ok");
  BOOST_REQUIRE(report.is_object());
  for (const auto& s : report["scenarios"]) BOOST_TEST(s["verdict"] == "pass", s.dump());
}
