#define BOOST_TEST_MODULE remote_target
#include <boost/test/unit_test.hpp>
// The remote adapter on its own (no server, no device): how it decides a check from the
// requests and reports a watch shows it, the state it synthesizes from the device's reports,
// its reset command, and that targets/profiles/remote.yaml loads. The whole run against a
// device on the network is tests/integration/target/remote_target_test.cpp.

#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

#include "support/temp_dir.hpp"
#include "target/remote_target.hpp"

using namespace otasim;
using namespace otasim::target;
namespace fs = std::filesystem;
using otasim::testing::Slurp;
using otasim::testing::TempDir;

namespace {

const fs::path kProfile = fs::path(OTASIM_SOURCE_DIR) / "targets/profiles/remote.yaml";

// What the server recorded, growing while a check waits (as it does from the server thread).
struct FakeServer {
  std::mutex mutex;
  std::vector<Exchange> exchanges;
  std::vector<StatusReport> reports;

  void Request(const std::string& kind) {
    std::lock_guard lock(mutex);
    exchanges.push_back({"http", kind, "GET", "/dev-0001/" + kind, 200});
  }
  void Report(const std::string& result, const std::string& reason, const std::string& version,
              std::uint64_t sequence) {
    std::lock_guard lock(mutex);
    exchanges.push_back({"http", "status", "POST", "/dev-0001/status", 200});
    reports.push_back({result, reason, version, sequence, 0, nlohmann::json{{"result", result}}});
  }
  CheckWatch Watch() {
    return {[this] {
              std::lock_guard lock(mutex);
              return reports;
            },
            [this] {
              std::lock_guard lock(mutex);
              return exchanges;
            }};
  }
};

struct Fixture {
  explicit Fixture(const std::string& reset = "") : temp("otasim-remote-target") {
    auto loaded = LoadTargetProfile(kProfile);
    BOOST_REQUIRE_MESSAGE(loaded.ok(), (loaded.ok() ? "" : loaded.error().What()));
    profile = *loaded;
    fs::create_directories(temp.path() / "scratch");
    Release v1;
    v1.name = "v1";
    v1.manifest.version = "1.0.0";
    v1.manifest.sequence = 1;
    v1.image_path = temp.path() / "v1.bin";
    releases.emplace("v1", v1);
    const nlohmann::json config = {{"initial_firmware", {{"image", v1.image_path.string()}}}};
    target = std::make_unique<RemoteTarget>(
        profile, TemplateMap{{"bundle_dir", (temp.path() / "bundle").string()}}, reset,
        temp.path() / "scratch");
    target->SetSessionFacts(config, releases);
  }

  TempDir temp;
  TargetProfile profile;
  std::map<std::string, Release> releases;
  std::unique_ptr<RemoteTarget> target;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(remote_target_tests)

BOOST_AUTO_TEST_CASE(the_profile_loads_with_check_only) {
  Fixture f;
  BOOST_TEST(f.profile.adapter == "remote");
  BOOST_TEST(f.profile.Supports("check"));
  BOOST_TEST(!f.profile.Supports("boot"));
  BOOST_TEST(f.profile.power_cut == "none");
}

BOOST_AUTO_TEST_CASE(a_profile_that_claims_boot_is_refused) {
  TempDir temp("otasim-remote-profile");
  const auto file = temp.Write("p.yaml", "name: r\nadapter: remote\nprotocols: [http]\nverbs: [check, boot]\n");
  auto loaded = LoadTargetProfile(file);
  BOOST_REQUIRE(!loaded.ok());
  BOOST_TEST(loaded.error().What().find("verbs") != std::string::npos, loaded.error().What());
}

BOOST_AUTO_TEST_CASE(without_a_reset_command_the_initial_release_is_assumed) {
  Fixture f;
  auto run = f.target->Provision();
  BOOST_REQUIRE(run.ok());
  BOOST_TEST(run->process.exit_code == 0);
  BOOST_TEST(run->stdout_text.find("assumed") != std::string::npos);
  auto state = f.target->State();
  BOOST_REQUIRE(state.ok());
  BOOST_TEST(state->at("running").at("version") == "1.0.0");
  BOOST_TEST(state->at("installs") == 0);
  BOOST_TEST(state->at("observed_by") == "device reports");
}

BOOST_AUTO_TEST_CASE(the_reset_command_expands_its_template_and_its_exit_code_counts) {
  Fixture f("echo reset {bundle_dir}; exit 3");
  auto run = f.target->Provision();
  BOOST_REQUIRE(run.ok());
  BOOST_TEST(run->process.exit_code == 3);
  BOOST_TEST(run->stdout_text.find("reset " + (f.temp.path() / "bundle").string()) != std::string::npos,
             run->stdout_text);
}

BOOST_AUTO_TEST_CASE(a_final_report_decides_and_becomes_the_state) {
  Fixture f;
  BOOST_REQUIRE(f.target->Provision().ok());
  FakeServer server;
  server.Request("manifest");
  server.Report("proceeding", "", "2.0.0", 2);  // progress only: not an outcome
  std::thread device([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    server.Request("image");
    server.Report("installed", "", "2.0.0", 2);
  });
  auto run = f.target->Check(std::chrono::seconds(10), std::nullopt, server.Watch());
  device.join();
  BOOST_REQUIRE_MESSAGE(run.ok(), (run.ok() ? "" : run.error().What()));
  BOOST_TEST(*run->outcome == "installed");
  BOOST_TEST(run->evidence.find("status report: installed") != std::string::npos, run->evidence);
  auto state = f.target->State();
  BOOST_TEST(state->at("running").at("version") == "2.0.0");
  BOOST_TEST(state->at("running").at("sequence") == 2);
  BOOST_TEST(state->at("installs") == 1);
  BOOST_TEST(state->at("last_result") == "installed");
}

BOOST_AUTO_TEST_CASE(a_rejection_keeps_the_running_release_and_names_the_reason) {
  Fixture f;
  BOOST_REQUIRE(f.target->Provision().ok());
  FakeServer server;
  server.Request("manifest");
  server.Report("rejected", "rollback", "0.9.0", 0);
  auto run = f.target->Check(std::chrono::seconds(10), std::nullopt, server.Watch());
  BOOST_REQUIRE(run.ok());
  BOOST_TEST(*run->outcome == "rejected");
  BOOST_TEST(run->reason == "rollback");
  auto state = f.target->State();
  BOOST_TEST(state->at("running").at("version") == "1.0.0");
  BOOST_TEST(state->at("installs") == 0);
  BOOST_TEST(state->at("last_reason") == "rollback");
}

BOOST_AUTO_TEST_CASE(two_whole_polls_without_a_report_are_no_update) {
  Fixture f;
  BOOST_REQUIRE(f.target->Provision().ok());
  FakeServer server;
  server.Request("manifest");
  server.Request("manifest");
  server.Request("manifest");
  auto run = f.target->Check(std::chrono::seconds(10), std::nullopt, server.Watch());
  BOOST_REQUIRE(run.ok());
  BOOST_TEST(*run->outcome == "no-update");
}

BOOST_AUTO_TEST_CASE(one_poll_is_not_yet_a_finished_cycle) {
  Fixture f;
  BOOST_REQUIRE(f.target->Provision().ok());
  FakeServer server;
  server.Request("manifest");
  server.Request("manifest");  // the first may have been on its way before the step began
  auto run = f.target->Check(std::chrono::milliseconds(300), std::nullopt, server.Watch());
  BOOST_REQUIRE(!run.ok());
  BOOST_TEST(run.error().What().find("did not finish within 0.3 s") != std::string::npos,
             run.error().What());
}

BOOST_AUTO_TEST_CASE(an_image_fetched_without_a_report_is_no_outcome_to_trust) {
  Fixture f;
  BOOST_REQUIRE(f.target->Provision().ok());
  FakeServer server;
  server.Request("manifest");
  server.Request("image");
  server.Request("manifest");
  server.Request("manifest");
  auto run = f.target->Check(std::chrono::seconds(10), std::nullopt, server.Watch());
  BOOST_REQUIRE(run.ok());
  BOOST_TEST(*run->outcome == "error");
  BOOST_TEST(run->evidence.find("without a status report") != std::string::npos, run->evidence);
}

BOOST_AUTO_TEST_CASE(silence_is_did_not_poll_at_the_deadline) {
  Fixture f;
  BOOST_REQUIRE(f.target->Provision().ok());
  FakeServer server;
  auto run = f.target->Check(std::chrono::milliseconds(200), std::nullopt, server.Watch());
  BOOST_REQUIRE(!run.ok());
  BOOST_TEST(run.error().What().find("did not poll within 0.2 s") != std::string::npos, run.error().What());
}

BOOST_AUTO_TEST_CASE(boot_and_power_cuts_are_unsupported) {
  Fixture f;
  BOOST_TEST(!f.target->Boot().ok());
  FakeServer server;
  auto run = f.target->Check(std::chrono::seconds(1), PowerCut{"download", 50}, server.Watch());
  BOOST_REQUIRE(!run.ok());
  BOOST_TEST(run.error().What().find("power-cut") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
