#define BOOST_TEST_MODULE plugin_loading
#include <boost/test/unit_test.hpp>

// External plugins: loaded with dlopen from real .so files built by this project's CMake,
// refused with a clear message when their ABI or build differs, and usable from the CLI.

#include <filesystem>

#include "plugin_host/registry.hpp"
#include "support/run_otasim.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using otasim::plugin_host::Registry;
using otasim::testing::TempDir;

fs::path PluginDir(const std::string& name) {
  return fs::path(OTASIM_TEST_BIN_DIR) / "plugins" / name;
}

fs::path PluginFile(const std::string& name) { return PluginDir(name) / ("lib" + name + ".so"); }

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(plugin_loading_tests)

BOOST_AUTO_TEST_CASE(a_matching_plugin_registers_its_types_with_origin) {
  Registry registry;
  BOOST_REQUIRE(registry.LoadBuiltins());
  const auto status = registry.LoadDirectory(PluginDir("noop_attacker"));
  BOOST_REQUIRE_MESSAGE(status, (status ? "" : status.error().message()));
  const auto* type = registry.Find("attack.test-noop");
  BOOST_REQUIRE(type != nullptr);
  BOOST_TEST(otasim::PluginKindName(type->info.kind) == "attacker");
  BOOST_TEST(type->origin.plugin_id == "test.noop");
  BOOST_TEST(type->origin.path == PluginFile("noop_attacker").string());
  BOOST_TEST(type->origin.sha256.size() == 64u);
  auto attacker = registry.CreateAttacker("attack.test-noop", {{"label", "x"}}, "test");
  BOOST_TEST(attacker.ok());
  auto bad = registry.CreateAttacker("attack.test-noop", {{"colour", "x"}}, "test");
  BOOST_REQUIRE(!bad.ok());
  BOOST_TEST(Contains(bad.error().message(), "colour"));
}

BOOST_AUTO_TEST_CASE(a_plugin_for_another_abi_is_refused_naming_both_versions) {
  Registry registry;
  const auto status = registry.LoadFile(PluginFile("foreign_abi"));
  BOOST_REQUIRE(!status.ok());
  const std::string message = status.error().message();
  BOOST_TEST_INFO(message);
  BOOST_TEST(Contains(message, "ABI " + std::to_string(OTASIM_ABI_MAJOR + 1) + ".0"));
  BOOST_TEST(Contains(message, "ABI " + std::to_string(OTASIM_ABI_MAJOR) + "." +
                                   std::to_string(OTASIM_ABI_MINOR)));
  BOOST_TEST(Contains(message, "foreign_abi"));
  BOOST_TEST(registry.Find("test.foreign-abi") == nullptr);
}

BOOST_AUTO_TEST_CASE(a_plugin_from_another_build_is_refused_naming_both_fingerprints) {
  Registry registry;
  const auto status = registry.LoadFile(PluginFile("foreign_build"));
  BOOST_REQUIRE(!status.ok());
  const std::string message = status.error().message();
  BOOST_TEST_INFO(message);
  BOOST_TEST(Contains(message, "otasim-0.0.1;cxx=other"));
  BOOST_TEST(Contains(message, OTASIM_BUILD_FINGERPRINT));
}

BOOST_AUTO_TEST_CASE(a_library_without_plugin_symbols_is_refused) {
  Registry registry;
  const auto status = registry.LoadFile(PluginFile("not_a_plugin"));
  BOOST_REQUIRE(!status.ok());
  BOOST_TEST(Contains(status.error().message(), "not an otasim plugin"));
}

BOOST_AUTO_TEST_CASE(a_registration_that_throws_becomes_an_error) {
  Registry registry;
  const auto status = registry.LoadFile(PluginFile("throwing_plugin"));
  BOOST_REQUIRE(!status.ok());
  BOOST_TEST(Contains(status.error().message(), "registration exploded on purpose"));
}

BOOST_AUTO_TEST_CASE(a_missing_file_or_directory_is_an_error) {
  Registry registry;
  BOOST_TEST(!registry.LoadFile("/nonexistent/libnothing.so").ok());
  BOOST_TEST(!registry.LoadDirectory("/nonexistent/plugins").ok());
}

BOOST_AUTO_TEST_CASE(the_cli_lists_and_describes_a_loaded_plugin) {
  auto list = otasim::testing::RunOtasimCommand(
      {"--plugin-dir", PluginDir("noop_attacker").string(), "list", "plugins"});
  BOOST_TEST(list.exit_code == 0);
  BOOST_TEST(Contains(list.output, "attack.test-noop"));
  BOOST_TEST(Contains(list.output, "attack.tamper"));
  auto describe = otasim::testing::RunOtasimCommand(
      {"describe", "attack.test-noop", "--plugin-dir", PluginDir("noop_attacker").string()});
  BOOST_TEST(describe.exit_code == 0);
  BOOST_TEST(Contains(describe.output, "label"));
  BOOST_TEST(Contains(describe.output, PluginFile("noop_attacker").string()));

  auto refused = otasim::testing::RunOtasimCommand(
      {"--plugin-dir", PluginDir("foreign_abi").string(), "list", "plugins"});
  BOOST_TEST(refused.exit_code == 2);
  BOOST_TEST(Contains(refused.output, "refusing"));
}

BOOST_AUTO_TEST_CASE(a_scenario_using_the_plugin_validates_only_when_it_is_loaded) {
  TempDir temp("otasim-plugin-scenario");
  const fs::path file = temp.Write("uses-noop.yaml", R"(id: custom/uses-noop
title: uses the test plugin
requirements: [UPD-0]
releases:
  v1: {version: 1.0.0, sequence: 1}
  v2: {version: 2.0.0, sequence: 2}
device: {initial: v1}
steps:
  - name: legitimate update
    control: true
    serve: v2
    expect: {outcome: installed}
  - name: with the plugin
    serve: v2
    attacks:
      - id: attack.test-noop
        params: {label: hello}
    expect: {outcome: no-update}
)");
  auto without = otasim::testing::RunOtasimCommand({"validate", file.string()});
  BOOST_TEST(without.exit_code == 2);
  BOOST_TEST(Contains(without.output, "unknown plugin 'attack.test-noop'"));
  BOOST_TEST(Contains(without.output, ":16:"));  // the line of the attack id
  auto with = otasim::testing::RunOtasimCommand(
      {"--plugin-dir", PluginDir("noop_attacker").string(), "validate", file.string()});
  BOOST_TEST(with.exit_code == 0, with.output);
}

BOOST_AUTO_TEST_SUITE_END()
