#define BOOST_TEST_MODULE installed_sdk
#include <boost/test/unit_test.hpp>

// The installable plugin SDK, end to end: this build is installed into a fresh prefix, the
// out-of-tree example plugin (plugins/examples/image_patch) is configured and built against
// that prefix alone, and the installed otasim loads it, describes it and runs its scenario
// against the installed reference device — which must defeat the attack, and must lose to it
// when given the flaw each variant exploits.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/temp_dir.hpp"
#include "target/process.hpp"

namespace {

namespace fs = std::filesystem;
using otasim::testing::Slurp;

const fs::path kBuildDir = fs::path(OTASIM_BIN_DIR).parent_path();
const fs::path kExampleDir = fs::path(OTASIM_SOURCE_DIR) / "plugins" / "examples" / "image_patch";
const fs::path kScenario = kExampleDir / "scenarios" / "implant" / "image-patch.yaml";

struct Ran {
  int exit_code = -1;
  std::string output;
};

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A value of this build's CMakeCache.txt ("" when absent): the test uses the same cmake,
// compiler, make program and compiler launcher as the build it installs.
std::string CacheValue(const std::string& name) {
  std::ifstream in(kBuildDir / "CMakeCache.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with(name + ":")) continue;
    const auto eq = line.find('=');
    if (eq != std::string::npos) return line.substr(eq + 1);
  }
  return "";
}

// One scratch area for the whole test, at a fixed place in the build tree (wiped first), so
// that ccache (base_dir = the checkout) can reuse the plugin's objects from an earlier run.
class Workspace {
 public:
  Workspace() : root_(fs::path(OTASIM_TEST_BIN_DIR) / "installed_sdk") {
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  ~Workspace() {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }
  const fs::path& root() const { return root_; }
  fs::path prefix() const { return root_ / "prefix"; }
  fs::path plugin_build() const { return root_ / "image_patch-build"; }

  // Runs a program to completion within `timeout`; output is stdout then stderr.
  Ran Run(const std::vector<std::string>& argv, std::chrono::seconds timeout) {
    otasim::target::ProcessSpec spec;
    spec.argv = argv;
    spec.stdout_file = root_ / ("step-" + std::to_string(++count_) + ".out");
    spec.stderr_file = root_ / ("step-" + std::to_string(count_) + ".err");
    spec.timeout = timeout;
    spec.extra_env["OTASIM_DATA_DIR"] = "";  // the installed otasim must find its own data
    Ran ran;
    auto result = otasim::target::RunProcess(spec);
    if (!result) {
      ran.output = result.error().message();
      return ran;
    }
    ran.exit_code = result->exited ? result->exit_code : -1;
    ran.output = Slurp(spec.stdout_file) + Slurp(spec.stderr_file);
    if (!result->exited) ran.output += "\n(" + result->Describe() + ")";
    return ran;
  }

  // The installed otasim with the example plugin loaded.
  Ran Otasim(std::vector<std::string> args) {
    args.insert(args.begin(), {(prefix() / "bin" / "otasim").string(), "--plugin-dir",
                               plugin_build().string()});
    return Run(args, std::chrono::seconds(300));
  }

  // The example scenario over HTTP against the installed reference device, with `flaws`;
  // returns the report.
  nlohmann::json RunScenario(const std::string& name, const std::string& flaws, int* exit_code) {
    const fs::path out = root_ / ("out-" + name);
    std::vector<std::string> args = {"run", "--target", "reference", "--protocol", "http",
                                     "--scenario", kScenario.string(), "--out", out.string()};
    if (!flaws.empty()) args.insert(args.end(), {"--target-param", "flaws=" + flaws});
    const Ran ran = Otasim(args);
    *exit_code = ran.exit_code;
    BOOST_TEST_INFO(ran.output);
    std::ifstream in(out / "report.json");
    BOOST_REQUIRE_MESSAGE(in.good(), "no report.json from: " + ran.output);
    return nlohmann::json::parse(in);
  }

 private:
  fs::path root_;
  int count_ = 0;
};

// Install and build once; every test case below uses the result. A failure is kept as a
// message (not thrown), so that it is reported by each case instead of retried by each.
struct InstalledSdk {
  Workspace work;
  std::string failure;
  std::string configure_output;

  InstalledSdk() { failure = Prepare(); }

  std::string Prepare() {
    const std::string cmake = CacheValue("CMAKE_COMMAND");
    if (cmake.empty()) return "no CMAKE_COMMAND in " + (kBuildDir / "CMakeCache.txt").string();
    const Ran install = work.Run({cmake, "--install", kBuildDir.string(), "--prefix",
                                  work.prefix().string()},
                                 std::chrono::seconds(120));
    if (install.exit_code != 0) return "cmake --install: " + install.output;

    std::vector<std::string> configure = {
        cmake, "-S", kExampleDir.string(), "-B", work.plugin_build().string(), "-G", "Ninja",
        "-DCMAKE_PREFIX_PATH=" + work.prefix().string(),
        "-DCMAKE_CXX_COMPILER=" + CacheValue("CMAKE_CXX_COMPILER"),
        "-DCMAKE_MAKE_PROGRAM=" + CacheValue("CMAKE_MAKE_PROGRAM"),
        // Nothing else may help find otasim: only the fresh prefix.
        "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF"};
    if (const std::string launcher = CacheValue("CMAKE_CXX_COMPILER_LAUNCHER"); !launcher.empty()) {
      configure.push_back("-DCMAKE_CXX_COMPILER_LAUNCHER=" + launcher);
    }
    const Ran configured = work.Run(configure, std::chrono::seconds(120));
    if (configured.exit_code != 0) return "configuring the example: " + configured.output;
    configure_output = configured.output;
    const Ran built = work.Run({cmake, "--build", work.plugin_build().string()},
                               std::chrono::seconds(300));
    if (built.exit_code != 0) return "building the example: " + built.output;
    return "";
  }
};

InstalledSdk& Sdk() {
  static InstalledSdk sdk;
  BOOST_TEST_REQUIRE(sdk.failure.empty(), sdk.failure);
  return sdk;
}

const nlohmann::json& OnlyScenario(const nlohmann::json& report) {
  BOOST_TEST_REQUIRE(report.at("scenarios").size() == 1u);
  return report.at("scenarios").at(0);
}

// The attack's own timeline entries in the session's evidence.
std::vector<nlohmann::json> AttackEvents(const fs::path& out, const std::string& event) {
  std::ifstream in(out / "evidence" / "implant" / "image-patch@http" / "timeline.json");
  std::vector<nlohmann::json> found;
  if (!in) return found;
  for (const auto& entry : nlohmann::json::parse(in)) {
    if (entry.value("source", "") == "attacker" && entry.value("event", "") == event) {
      found.push_back(entry.at("details"));
    }
  }
  return found;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(installed_sdk_tests)

BOOST_AUTO_TEST_CASE(the_prefix_holds_the_sdk_the_programs_and_their_data) {
  const fs::path prefix = Sdk().work.prefix();
  for (const char* file : {"include/otasim/plugin.hpp", "include/otasim/attacker.hpp",
                           "lib/libotasim_sdk.so", "lib/cmake/otasim/otasimConfig.cmake",
                           "lib/cmake/otasim/otasimConfigVersion.cmake",
                           "lib/cmake/otasim/otasimTargets.cmake", "bin/otasim", "bin/otasim-device",
                           "share/otasim/scenarios/requirements.yaml",
                           "share/otasim/scenarios/suites/standard.yaml",
                           "share/otasim/targets/profiles/reference.yaml",
                           "share/otasim/examples/image_patch/image_patch.cpp",
                           "share/doc/otasim/plugin-guide.md"}) {
    BOOST_TEST(fs::exists(prefix / file), file);
  }
  // The plugin was built with the compiler otasim was built with: no mismatch warning.
  BOOST_TEST(!Contains(Sdk().configure_output, "otasim will refuse"), Sdk().configure_output);
  BOOST_TEST(fs::is_regular_file(Sdk().work.plugin_build() / "libimage_patch.so"));
}

BOOST_AUTO_TEST_CASE(the_installed_otasim_loads_and_describes_the_plugin) {
  const Ran described = Sdk().work.Otasim({"describe", "attack.image-patch"});
  BOOST_TEST_INFO(described.output);
  BOOST_TEST(described.exit_code == 0);
  for (const char* part : {"offset", "patch", "fix_digest", "release", "libimage_patch.so"}) {
    BOOST_TEST(Contains(described.output, part), part);
  }
}

BOOST_AUTO_TEST_CASE(the_reference_device_defeats_the_attack) {
  int exit_code = -1;
  const auto report = Sdk().work.RunScenario("secure", "", &exit_code);
  const auto& scenario = OnlyScenario(report);
  BOOST_TEST(scenario.at("id").get<std::string>() == "implant/image-patch");
  BOOST_TEST(scenario.at("verdict").get<std::string>() == "pass", scenario.dump(1));
  BOOST_TEST(exit_code == 0);
  // It ran from the prefix: its data, not the source tree's.
  const fs::path data_dir = report.at("reproduce").at("data_dir").get<std::string>();
  BOOST_TEST(data_dir == fs::weakly_canonical(Sdk().work.prefix() / "share" / "otasim"));
  // The plugin really acted in both attack steps: it patched the image of the first, and
  // rewrote the manifest of the second (whose image the device then never asks for).
  const fs::path out = Sdk().work.root() / "out-secure";
  const auto patched = AttackEvents(out, "image-patch");
  BOOST_TEST_REQUIRE(patched.size() >= 1u);
  for (const auto& details : patched) {
    BOOST_TEST(details.at("patched").get<bool>());
    BOOST_TEST(details.at("image_offset").get<std::uint64_t>() == 4096u);
  }
  BOOST_TEST(AttackEvents(out, "image-patch-manifest").size() >= 1u);
}

BOOST_AUTO_TEST_CASE(a_device_that_skips_the_digest_installs_the_implant) {
  int exit_code = -1;
  const auto report = Sdk().work.RunScenario("skip-digest", "skip-digest", &exit_code);
  BOOST_TEST(OnlyScenario(report).at("verdict").get<std::string>() == "fail");
  BOOST_TEST(exit_code == 1);
}

BOOST_AUTO_TEST_CASE(a_device_that_skips_the_signature_accepts_the_rewritten_digest) {
  int exit_code = -1;
  const auto report = Sdk().work.RunScenario("skip-signature", "skip-signature", &exit_code);
  const auto& scenario = OnlyScenario(report);
  BOOST_TEST(scenario.at("verdict").get<std::string>() == "fail");
  BOOST_TEST(exit_code == 1);
  // The finding is in the fix_digest step (the third), not the plain patch the digest catches.
  const auto& steps = scenario.at("steps");
  BOOST_TEST_REQUIRE(steps.size() == 4u);
  auto failed = [](const nlohmann::json& step) {
    for (const auto& check : step.at("checks")) {
      if (!check.at("ok").get<bool>()) return true;
    }
    return false;
  };
  BOOST_TEST(!failed(steps.at(1)), steps.at(1).dump(1));
  BOOST_TEST(failed(steps.at(2)), steps.at(2).dump(1));
}

BOOST_AUTO_TEST_SUITE_END()
