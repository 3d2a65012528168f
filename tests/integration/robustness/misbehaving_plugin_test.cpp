#define BOOST_TEST_MODULE robustness_misbehaving_plugin
#include <boost/test/unit_test.hpp>

// Attacker plugins run inside otasim. One whose hook hangs or throws gives its scenario `error`
// naming the plugin and the hook, and the run goes on to the next scenario and ends with a
// report; one that crashes takes otasim down, but report.partial.json keeps the scenarios
// finished before it.

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using otasim::testing::TempDir;

const fs::path kQuickUpdate = fs::path(OTASIM_SOURCE_DIR) / "tests/data/robustness/quick-update.yaml";

fs::path PluginDir(const std::string& name) { return fs::path(OTASIM_TEST_BIN_DIR) / "plugins" / name; }

// A legitimate update (every scenario starts with a control step), then one whose attacker is
// a test plugin.
fs::path WriteScenario(const TempDir& work, const std::string& id, const std::string& attack,
                       const std::string& params) {
  return work.Write(
      id + ".yaml",
      "id: robustness/" + id + "\n"
      "title: a misbehaving attacker plugin (" + id + ")\n"
      "requirements: [UPD-0]\n"
      "protocols: any\n"
      "releases:\n"
      "  v1: {version: 1.0.0, sequence: 1}\n"
      "  v2: {version: 2.0.0, sequence: 2}\n"
      "  v3: {version: 3.0.0, sequence: 3}\n"
      "device: {initial: v1}\n"
      "steps:\n"
      "  - name: legitimate update to v2\n"
      "    control: true\n"
      "    serve: v2\n"
      "    timeout: 5s\n"
      "    expect: {outcome: installed, running: v2}\n"
      "  - name: update through the misbehaving attacker\n"
      "    serve: v3\n"
      "    timeout: 5s\n"
      "    attacks:\n"
      "      - id: " + attack + "\n"
      "        params: " + params + "\n"
      "    expect: {outcome: installed, running: v3}\n");
}

struct Finished {
  int wait_status = 0;
  bool killed_at_deadline = false;
  nlohmann::json report;   // report.json, or null
  nlohmann::json partial;  // report.partial.json, or null
};

nlohmann::json ReadJson(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return nullptr;
  return nlohmann::json::parse(in, nullptr, false);
}

// `otasim run --quiet ARGS --out OUT` with a 1 s hook deadline and no core dump; killed (its
// process group) after 120 s. Unlike robustness/spawn.hpp it keeps the wait status, so that a
// death by signal can be told from the deadline.
Finished RunOtasim(std::vector<std::string> args, const fs::path& out) {
  std::vector<std::string> argv = {std::string(OTASIM_BIN_DIR) + "/otasim", "run", "--quiet"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--protocol", "http", "-j", "1", "--out", out.string()});
  const std::string log = out.string() + ".log";
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    setpgid(0, 0);
    setenv("OTASIM_HOOK_TIMEOUT_MS", "1000", 1);
    const rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    FILE* sink = std::fopen(log.c_str(), "w");
    if (sink != nullptr) {
      dup2(fileno(sink), 1);
      dup2(fileno(sink), 2);
    }
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    execv(raw[0], raw.data());
    _exit(127);
  }
  Finished run;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (waitpid(pid, &run.wait_status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(-pid, SIGKILL);
      waitpid(pid, &run.wait_status, 0);
      run.killed_at_deadline = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(-pid, SIGKILL);  // anything otasim left behind when it died
  run.report = ReadJson(out / "report.json");
  run.partial = ReadJson(out / "report.partial.json");
  return run;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

bool TimelineHas(const fs::path& out, const std::string& evidence, const std::string& event) {
  const auto timeline = ReadJson(out / evidence / "timeline.json");
  if (!timeline.is_array()) return false;
  for (const auto& entry : timeline) {
    if (entry.value("source", "") == "attacker" && entry.value("event", "") == event) return true;
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(hooks_that_hang_or_throw_are_errors_naming_plugin_and_hook_and_the_run_goes_on) {
  TempDir work("otasim-robustness-plugin");
  const fs::path out = work.path() / "out";
  auto run = RunOtasim(
      {"--plugin-dir", PluginDir("hanging_attacker").string(), "--plugin-dir",
       PluginDir("crashing_attacker").string(), "--target", "reference",
       "--scenario", WriteScenario(work, "hang-prepare", "attack.test-hang", "{hook: prepare}").string(),
       "--scenario", WriteScenario(work, "hang-image", "attack.test-hang", "{hook: image}").string(),
       "--scenario", WriteScenario(work, "throw-manifest", "attack.test-crash", "{how: throw}").string(),
       "--scenario", kQuickUpdate.string()},
      out);
  BOOST_TEST_REQUIRE(!run.killed_at_deadline, "otasim hung");
  BOOST_TEST_REQUIRE(WIFEXITED(run.wait_status), "otasim died: status " << run.wait_status);
  BOOST_TEST_REQUIRE(run.report.is_object(), "no report.json; see " << out.string() << ".log");
  BOOST_TEST(!fs::exists(out / "report.partial.json"));  // replaced by the full reports
  const auto& scenarios = run.report["scenarios"];
  BOOST_REQUIRE(scenarios.size() == 4u);

  const std::vector<std::pair<std::string, std::string>> expected = {
      {"robustness/hang-prepare", "attack.test-hang Prepare did not return within 1 s"},
      {"robustness/hang-image", "attack.test-hang OnImage did not return within 1 s"},
      {"robustness/throw-manifest", "attack.test-crash OnManifest threw: manifest hook exploded on purpose"}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    BOOST_TEST(scenarios[i]["id"] == expected[i].first);
    BOOST_TEST(scenarios[i]["verdict"] == "error", scenarios[i].dump());
    BOOST_TEST(Contains(scenarios[i]["reason"].get<std::string>(), expected[i].second), scenarios[i].dump());
  }
  BOOST_TEST(TimelineHas(out, scenarios[0]["evidence"], "hook-timeout"));
  BOOST_TEST(TimelineHas(out, scenarios[1]["evidence"], "hook-timeout"));
  BOOST_TEST(TimelineHas(out, scenarios[2]["evidence"], "hook-threw"));
  // The session after the misbehaving plugins still works.
  BOOST_TEST(scenarios[3]["id"] == "robustness/quick-update");
  BOOST_TEST(scenarios[3]["verdict"] == "pass", scenarios[3].dump());
}

BOOST_AUTO_TEST_CASE(a_plugin_that_crashes_otasim_leaves_the_finished_scenarios_in_the_partial_report) {
  TempDir work("otasim-robustness-plugin");
  const fs::path out = work.path() / "out";
  auto run = RunOtasim(
      {"--plugin-dir", PluginDir("crashing_attacker").string(), "--target", "reference",
       "--scenario", kQuickUpdate.string(),
       "--scenario", WriteScenario(work, "segv-manifest", "attack.test-crash", "{how: segv}").string()},
      out);
  BOOST_TEST_REQUIRE(!run.killed_at_deadline, "otasim hung");
  BOOST_TEST_REQUIRE(WIFSIGNALED(run.wait_status), "otasim did not die: status " << run.wait_status);
  BOOST_TEST(WTERMSIG(run.wait_status) == SIGSEGV);
  BOOST_TEST(run.report.is_null());  // it never got that far
  BOOST_TEST_REQUIRE(run.partial.is_object(), "no report.partial.json");
  const auto& scenarios = run.partial["scenarios"];
  BOOST_REQUIRE(scenarios.size() == 1u);  // the crashing session never finished
  BOOST_TEST(scenarios[0]["id"] == "robustness/quick-update");
  BOOST_TEST(scenarios[0]["verdict"] == "pass", scenarios[0].dump());
}
