#define BOOST_TEST_MODULE robustness_verdict_stability
#include <boost/test/unit_test.hpp>

// The same plan of timing-sensitive scenarios (cuts, power loss, endless data, replay) over
// HTTP and CoAP gives the same verdicts, requirement verdicts and grade on every rerun at -j2.

#include <cstdlib>

#include "integration/robustness/spawn.hpp"

namespace {

namespace fs = std::filesystem;
using namespace otasim::testing;

// 20 reruns is the full check (OTASIM_STABILITY_RERUNS=20); one rerun of this plan takes tens
// of seconds (33 s on a loaded 2-core machine), so the dev test run does 3.
int Reruns() {
  const char* text = std::getenv("OTASIM_STABILITY_RERUNS");
  return text != nullptr && std::atoi(text) > 0 ? std::atoi(text) : 3;
}

// What must not change between reruns: one line per scenario and protocol, per requirement, and
// the grade.
std::string Outcome(const nlohmann::json& report) {
  std::string text;
  for (const auto& s : report["scenarios"]) {
    text += s["id"].get<std::string>() + " " + s["protocol"].get<std::string>() + " " +
            s["verdict"].get<std::string>() + "\n";
  }
  for (const auto& r : report["requirements"]) {
    text += "requirement " + r["id"].get<std::string>() + " " + r["verdict"].get<std::string>() + "\n";
  }
  text += "grade " + report["grade"]["level"].get<std::string>() + "\n";
  return text;
}

}  // namespace

BOOST_AUTO_TEST_CASE(timing_sensitive_plan_gives_the_same_verdicts_every_time) {
  TempDir work("otasim-robustness-stability");
  const fs::path tmpdir = work.path() / "tmp";
  fs::create_directories(tmpdir);
  const std::vector<std::string> args = {
      "--target", "reference", "--protocol", "http,coap", "-j", "2",
      "--scenario", "interrupt/repeated-cuts", "--scenario", "interrupt/cut-mid-transfer",
      "--scenario", "power-loss/during-download", "--scenario", "power-loss/before-commit",
      "--scenario", "endless-data/never-ending-body", "--scenario", "replay/same-manifest"};
  std::string first;
  const int reruns = Reruns();
  for (int i = 0; i < reruns; ++i) {
    auto run = SpawnOtasimRun(args, work.path() / ("run-" + std::to_string(i)), tmpdir, "stability");
    BOOST_TEST_CONTEXT("rerun " << i) {
      BOOST_REQUIRE(run.report.is_object());
      const std::string outcome = Outcome(run.report);
      BOOST_REQUIRE(!run.report["scenarios"].empty());
      if (i == 0) {
        first = outcome;
        BOOST_TEST_MESSAGE("verdicts:\n" << first);
        // An error verdict is the harness not knowing: it must not be what is stable.
        BOOST_TEST(first.find(" error\n") == std::string::npos, first);
      } else {
        BOOST_TEST(outcome == first);
      }
    }
    fs::remove_all(work.path() / ("run-" + std::to_string(i)));
  }
}
