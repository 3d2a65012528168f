#define BOOST_TEST_MODULE template_target
#include <boost/test/unit_test.hpp>
// The template adapter on its own (no server): the values its templates see, its actions, the
// state it synthesizes from the installed file, and the errors a broken template gives.

#include <filesystem>
#include <string>

#include "otasim/crypto.hpp"
#include "support/temp_dir.hpp"
#include "target/template_target.hpp"

using namespace otasim;
using namespace otasim::target;
namespace fs = std::filesystem;
using otasim::testing::Slurp;
using otasim::testing::TempDir;

namespace {

// A profile whose check "installs" by copying {state_dir}/next.bin over the slot, after a
// command that prints the endpoint and exits with {code}.
std::string ProfileText(const std::string& check_command) {
  return "name: unit-client\n"
         "adapter: template\n"
         "protocols: [http]\n"
         "verbs: [provision, check]\n"
         "params:\n"
         "  - {name: code, type: string, default: \"0\", help: the check's exit code}\n"
         "commands:\n"
         "  provision:\n"
         "    - copy: {from: \"{initial_image}\", to: \"{state_dir}/slot.bin\"}\n"
         "    - write: {path: \"{state_dir}/version\", text: \"{initial_version}\"}\n"
         "  check:\n" +
         check_command +
         "    - copy: {from: \"{state_dir}/next.bin\", to: \"{state_dir}/slot.bin\"}\n"
         "      when: installed\n"
         "outcome:\n"
         "  rules:\n"
         "    - {log: \"^refused\", outcome: rejected, reason: signature}\n"
         "    - {exit: 0, outcome: installed}\n"
         "observe:\n"
         "  installed_file: \"{state_dir}/slot.bin\"\n"
         "  version_file: \"{state_dir}/version\"\n";
}

const std::string kEchoCheck =
    "    - command: /bin/sh\n"
    "      args: [\"-c\", \"echo endpoint={endpoint.base_url} port={endpoint.port}; exit {code}\"]\n"
    "      env: {TMPDIR: \"{scratch_dir}/tmp\"}\n";

Release MakeRelease(const fs::path& dir, const std::string& name, const std::string& version,
                    std::uint64_t sequence) {
  Release r;
  r.name = name;
  r.manifest.version = version;
  r.manifest.sequence = sequence;
  r.image_path = dir / (name + ".bin");
  std::ofstream(r.image_path) << "image of " << name << "\n";
  r.manifest.image.digest = *crypto::Sha256FileHex(r.image_path);
  return r;
}

struct Fixture {
  explicit Fixture(const std::string& check_command, const std::string& code = "0")
      : temp("otasim-template-target") {
    profile_file = temp.Write("profile/client.yaml", ProfileText(check_command));
    auto loaded = LoadTargetProfile(profile_file);
    BOOST_REQUIRE_MESSAGE(loaded.ok(), (loaded.ok() ? "" : loaded.error().What()));
    profile = *loaded;
    for (const auto& dir : {"state", "scratch", "releases"}) fs::create_directories(temp.path() / dir);
    releases.emplace("v1", MakeRelease(temp.path() / "releases", "v1", "1.0.0", 1));
    releases.emplace("v2", MakeRelease(temp.path() / "releases", "v2", "2.0.0", 2));
    config = {{"device_id", "dev-0001"},
              {"protocol", "http"},
              {"endpoints", {{"http", {{"base_url", "https://127.0.0.1:4000/dev-0001"}, {"port", 4000}}}}},
              {"tls", {{"ca_file", "/x/ca.pem"}}},
              {"trust_anchors", {"/x/vendor.pub.pem"}},
              {"limits", {{"timeout_ms", 3000}}},
              {"now", "2026-11-28T06:00:00Z"},
              {"initial_firmware", {{"manifest", "/x/v1.manifest.json"},
                                    {"image", releases.at("v1").image_path.string()}}}};
    target = std::make_unique<TemplateTarget>(profile, TemplateMap{{"bin_dir", "/bin"}, {"code", code}},
                                              temp.path() / "state", temp.path() / "config.json",
                                              temp.path() / "scratch");
    target->SetSessionFacts(config, releases);
  }

  TempDir temp;
  fs::path profile_file;
  TargetProfile profile;
  std::map<std::string, Release> releases;
  nlohmann::json config;
  std::unique_ptr<TemplateTarget> target;
};

CheckWatch NoWatch() {
  return {[] { return std::vector<StatusReport>{}; }, [] { return std::vector<Exchange>{}; }};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(template_target_tests)

BOOST_AUTO_TEST_CASE(config_values_include_every_endpoint_key) {
  Fixture f(kEchoCheck);
  const auto values = ConfigValues(f.config, f.releases);
  BOOST_TEST(values.at("endpoint.base_url") == "https://127.0.0.1:4000/dev-0001");
  BOOST_TEST(values.at("endpoint.port") == "4000");
  BOOST_TEST(values.at("timeout_s") == "3");
  BOOST_TEST(values.at("initial_version") == "1.0.0");
  BOOST_TEST(values.at("initial_sequence") == "1");
  BOOST_TEST(values.at("trust_anchor") == "/x/vendor.pub.pem");
  BOOST_TEST(values.at("now") == "2026-11-28T06:00:00Z");
  nlohmann::json quick = f.config;
  quick["limits"]["timeout_ms"] = 200;
  BOOST_TEST(ConfigValues(quick, f.releases).at("timeout_s") == "1");  // at least 1
  BOOST_TEST(f.target->values().at("installed_version") == "1.0.0");
  BOOST_TEST(f.target->values().at("state_dir") == (f.temp.path() / "state").string());
}

BOOST_AUTO_TEST_CASE(provision_check_and_state_through_templates) {
  Fixture f(kEchoCheck);
  auto provision = f.target->Provision();
  BOOST_REQUIRE_MESSAGE(provision.ok(), (provision.ok() ? "" : provision.error().What()));
  BOOST_TEST(Slurp(f.temp.path() / "state/version") == "1.0.0");
  auto state = f.target->State();
  BOOST_REQUIRE(state.ok());
  BOOST_TEST((*state)["running"]["version"] == "1.0.0");
  BOOST_TEST((*state)["installs"] == 0);
  BOOST_TEST((*state)["last_result"] == "none");
  BOOST_TEST((*state)["observed_by"] == "adapter");

  fs::copy_file(f.releases.at("v2").image_path, f.temp.path() / "state/next.bin");
  auto check = f.target->Check(std::chrono::seconds(10), std::nullopt, NoWatch());
  BOOST_REQUIRE_MESSAGE(check.ok(), (check.ok() ? "" : check.error().What()));
  BOOST_TEST(check->stdout_text == "endpoint=https://127.0.0.1:4000/dev-0001 port=4000\n");
  BOOST_TEST(*check->outcome == "installed");
  BOOST_TEST(check->evidence == "exit 0");
  BOOST_TEST(fs::is_directory(f.temp.path() / "scratch/tmp"));
  state = f.target->State();
  BOOST_TEST((*state)["running"]["version"] == "2.0.0");
  BOOST_TEST((*state)["running"]["sequence"] == 2);
  BOOST_TEST((*state)["installs"] == 1);
  BOOST_TEST((*state)["last_result"] == "installed");
  BOOST_TEST(f.target->values().at("installed_version") == "2.0.0");
  BOOST_TEST(Slurp(f.temp.path() / "state/version") == "2.0.0");
}

BOOST_AUTO_TEST_CASE(a_refusal_skips_the_when_installed_action) {
  Fixture f("    - command: /bin/sh\n      args: [\"-c\", \"echo refused; exit 3\"]\n");
  BOOST_REQUIRE(f.target->Provision().ok());
  fs::copy_file(f.releases.at("v2").image_path, f.temp.path() / "state/next.bin");
  auto check = f.target->Check(std::chrono::seconds(10), std::nullopt, NoWatch());
  BOOST_REQUIRE(check.ok());
  BOOST_TEST(*check->outcome == "rejected");
  BOOST_TEST(check->reason == "signature");
  BOOST_TEST(check->evidence == "log: refused");
  auto state = f.target->State();
  BOOST_TEST((*state)["running"]["version"] == "1.0.0");  // next.bin was not copied
  BOOST_TEST((*state)["installs"] == 0);
  BOOST_TEST((*state)["last_reason"] == "signature");
}

BOOST_AUTO_TEST_CASE(an_unmatched_file_runs_nothing) {
  Fixture f(kEchoCheck);
  BOOST_REQUIRE(f.target->Provision().ok());
  { std::ofstream(f.temp.path() / "state/slot.bin") << "garbage"; }
  auto state = f.target->State();
  BOOST_TEST(!state->contains("running"));
  BOOST_TEST((*state)["bootable"] == false);
  BOOST_TEST((*state)["installs"] == 1);  // the digest changed
}

BOOST_AUTO_TEST_CASE(an_unknown_placeholder_at_run_time_names_it_the_verb_and_the_file) {
  Fixture f("    - command: /bin/echo\n      args: [\"{endpoint.psk_file}\"]\n");
  BOOST_REQUIRE(f.target->Provision().ok());
  auto check = f.target->Check(std::chrono::seconds(10), std::nullopt, NoWatch());
  BOOST_REQUIRE(!check.ok());
  const std::string message = check.error().message();
  BOOST_TEST_MESSAGE(message);
  BOOST_TEST(message.find("unknown placeholder {endpoint.psk_file}") != std::string::npos);
  BOOST_TEST(message.find(f.profile_file.string() + ":12: commands.check[1]") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_missing_command_is_named) {
  Fixture f("    - command: /nonexistent/ota-client\n");
  BOOST_REQUIRE(f.target->Provision().ok());
  auto check = f.target->Check(std::chrono::seconds(10), std::nullopt, NoWatch());
  BOOST_REQUIRE(!check.ok());
  BOOST_TEST(check.error().message().find("command '/nonexistent/ota-client' does not exist") !=
             std::string::npos, check.error().message());
  Fixture g("    - command: no-such-ota-client\n");
  BOOST_REQUIRE(g.target->Provision().ok());
  check = g.target->Check(std::chrono::seconds(10), std::nullopt, NoWatch());
  BOOST_REQUIRE(!check.ok());
  BOOST_TEST(check.error().message().find("'no-such-ota-client' not found on PATH") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_check_still_running_at_its_deadline_is_outcome_error) {
  // Judged like a contract program killed at its deadline: the step's expectations decide.
  Fixture f("    - command: /bin/sleep\n      args: [\"30\"]\n");
  BOOST_REQUIRE(f.target->Provision().ok());
  auto check = f.target->Check(std::chrono::milliseconds(300), std::nullopt, NoWatch());
  BOOST_REQUIRE(check.ok());
  BOOST_TEST(check->process.timed_out);
  BOOST_TEST(check->outcome.value_or("") == "error");
  BOOST_TEST(check->evidence.find("'/bin/sleep' was still running at the check's time limit") !=
                 std::string::npos,
             check->evidence);
  BOOST_TEST(check->evidence.find("commands.check[1]") != std::string::npos, check->evidence);
}

BOOST_AUTO_TEST_CASE(a_daemon_stops_once_a_final_report_arrived) {
  Fixture f("    - command: /bin/sleep\n      args: [\"30\"]\n      mode: daemon\n"
            "      until: final-report\n");
  BOOST_REQUIRE(f.target->Provision().ok());
  CheckWatch watch = NoWatch();
  int polls = 0;
  watch.reports = [&polls] {
    std::vector<StatusReport> reports(1);
    reports[0].result = ++polls < 3 ? "proceeding" : "installed";
    return reports;
  };
  auto check = f.target->Check(std::chrono::seconds(20), std::nullopt, watch);
  BOOST_REQUIRE_MESSAGE(check.ok(), (check.ok() ? "" : check.error().What()));
  BOOST_TEST(check->process.stopped);
  BOOST_TEST(!check->process.timed_out);
  BOOST_TEST(polls >= 3);
  BOOST_TEST(*check->outcome == "error");  // no rule matched a stopped daemon here
}

BOOST_AUTO_TEST_SUITE_END()
