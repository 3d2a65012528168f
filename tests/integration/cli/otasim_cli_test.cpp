#define BOOST_TEST_MODULE otasim_cli
#include <boost/test/unit_test.hpp>

// The `otasim` command as users meet it: exit codes, messages naming what is wrong, and the
// files a run leaves behind. Runs the real binary against the real reference device.

#include <filesystem>
#include <regex>

#include "support/run_otasim.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using otasim::testing::RunOtasim;
using otasim::testing::RunOtasimCommand;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

bool TreeContains(const fs::path& dir, const std::string& needle) {
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && Contains(otasim::testing::Slurp(entry.path()), needle)) return true;
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(otasim_cli_tests)

BOOST_AUTO_TEST_CASE(validate_names_file_line_and_field_and_exits_2) {
  otasim::testing::TempDir tmp("otasim-cli");
  const auto bad = tmp.Write("bad.yaml", R"(id: tamper/bad
title: broken
requirements: [AUT-2]
releases:
  v1: {version: 1.0.0, sequence: 1}
  v2: {version: 2.0.0, sequence: banana}
device: {initial: v1}
steps:
  - name: legit
    control: true
    serve: v2
    expect: {outcome: installed}
)");
  auto run = RunOtasimCommand({"validate", bad.string()});
  BOOST_TEST(run.exit_code == 2);
  BOOST_TEST(Contains(run.output, bad.string() + ":6: releases.v2.sequence:"), run.output);

  const auto good = fs::path(OTASIM_SOURCE_DIR) / "scenarios/library/rollback/signed-older.yaml";
  auto ok = RunOtasimCommand({"validate", good.string()});
  BOOST_TEST(ok.exit_code == 0, ok.output);
}

BOOST_AUTO_TEST_CASE(bad_usage_exits_2_with_what_is_known) {
  auto target = RunOtasimCommand({"run", "--target", "no-such-device"});
  BOOST_TEST(target.exit_code == 2);
  BOOST_TEST(Contains(target.output, "unknown target 'no-such-device'; known: "));
  BOOST_TEST(Contains(target.output, "reference"));

  auto flaw = RunOtasimCommand({"run", "--target", "reference", "--target-param", "flaws=bogus"});
  BOOST_TEST(flaw.exit_code == 2);
  BOOST_TEST(Contains(flaw.output, "bogus"), flaw.output);
  BOOST_TEST(Contains(flaw.output, "skip-signature"), flaw.output);

  auto protocol = RunOtasimCommand({"run", "--target", "reference", "--protocol", "http,ftp"});
  BOOST_TEST(protocol.exit_code == 2);
  BOOST_TEST(Contains(protocol.output, "unknown protocol 'ftp'"), protocol.output);

  auto scenario = RunOtasimCommand({"run", "--target", "reference", "--scenario", "nope/*"});
  BOOST_TEST(scenario.exit_code == 2);
  BOOST_TEST(Contains(scenario.output, "nope/*"), scenario.output);

  auto option = RunOtasimCommand({"run", "--target", "reference", "--frobnicate"});
  BOOST_TEST(option.exit_code == 2);
}

BOOST_AUTO_TEST_CASE(list_and_describe_come_from_the_registry_and_data) {
  auto plugins = RunOtasimCommand({"list", "plugins"});
  BOOST_TEST(plugins.exit_code == 0);
  for (const char* id : {"server.http-poll", "attack.replay", "attack.tamper", "attack.interrupt",
                         "fault.power-loss"}) {
    BOOST_TEST(Contains(plugins.output, id), id);
  }
  auto tamper = RunOtasimCommand({"describe", "attack.tamper"});
  BOOST_TEST(tamper.exit_code == 0);
  BOOST_TEST(Contains(tamper.output, "image-bit-flip"));
  auto requirement = RunOtasimCommand({"describe", "UPD-1"});
  BOOST_TEST(requirement.exit_code == 0);
  BOOST_TEST(Contains(requirement.output, "maps to"));
  auto scenarios = RunOtasimCommand({"list", "scenarios"});
  BOOST_TEST(Contains(scenarios.output, "rollback/signed-older"));
  auto unknown = RunOtasimCommand({"describe", "attack.nothing"});
  BOOST_TEST(unknown.exit_code == 2);
}

BOOST_AUTO_TEST_CASE(a_finding_exits_1_and_leaves_reports_and_evidence) {
  auto run = RunOtasim({"--target", "reference", "--scenario", "tamper/image-bit-flip",
                        "--protocol", "http", "--target-param", "flaws=skip-digest"},
                       "cli-finding");
  BOOST_TEST_INFO(run.output);
  BOOST_TEST(run.exit_code == 1);
  BOOST_REQUIRE(run.report.is_object());
  BOOST_REQUIRE(run.report.at("scenarios").size() == 1u);
  const auto& scenario = run.report.at("scenarios")[0];
  BOOST_TEST(scenario.at("verdict") == "fail");
  BOOST_TEST(Contains(scenario.at("reason").get<std::string>(), "outcome"));
  BOOST_TEST(run.report.at("target_params").at("flaws") == "skip-digest");
  // Plain lines when not on a terminal.
  BOOST_TEST(std::regex_search(run.output, std::regex(R"(\[1/1\] FAIL +tamper/image-bit-flip@http)")));

  const fs::path out = run.out_dir;
  const std::string junit = otasim::testing::Slurp(out / "junit.xml");
  BOOST_TEST(Contains(junit, "<failure"));
  BOOST_TEST(Contains(junit, "tamper/image-bit-flip"));
  const fs::path evidence = out / scenario.at("evidence").get<std::string>();
  for (const char* file : {"timeline.json", "exchanges.json", "status_reports.json", "releases.json",
                           "device.log", "device_config.json"}) {
    BOOST_TEST(fs::is_regular_file(evidence / file), file);
  }
  const auto exchanges = nlohmann::json::parse(otasim::testing::Slurp(evidence / "exchanges.json"));
  bool image_seen = false;
  for (const auto& e : exchanges) image_seen = image_seen || e.at("kind") == "image";
  BOOST_TEST(image_seen);
  BOOST_TEST(Contains(otasim::testing::Slurp(evidence / "timeline.json"), "attack.tamper"));
  BOOST_TEST(!TreeContains(out, "PRIVATE KEY"), "no private key in the reports or evidence");
}

BOOST_AUTO_TEST_CASE(verdicts_do_not_depend_on_jobs) {
  const std::vector<std::string> args = {"--target", "reference", "--protocol", "http", "--target-param",
                                         "flaws=install-while-streaming", "--scenario", "tamper/*",
                                         "--scenario", "interrupt/*", "--scenario", "power-loss/*"};
  auto verdicts = [](const nlohmann::json& report) {
    std::vector<std::string> out;
    for (const auto& s : report.at("scenarios")) {
      out.push_back(s.at("id").get<std::string>() + "=" + s.at("verdict").get<std::string>());
    }
    return out;
  };
  auto one = args, two = args;
  one.insert(one.end(), {"-j", "1"});
  two.insert(two.end(), {"-j", "2"});
  auto serial = RunOtasim(one, "jobs-1");
  auto parallel = RunOtasim(two, "jobs-2");
  BOOST_REQUIRE(serial.report.is_object());
  BOOST_REQUIRE(parallel.report.is_object());
  BOOST_TEST(verdicts(serial.report) == verdicts(parallel.report), boost::test_tools::per_element());
  BOOST_TEST(serial.report.at("summary").at("fail").get<int>() > 0, "the flaw is found at all");
}

BOOST_AUTO_TEST_SUITE_END()
