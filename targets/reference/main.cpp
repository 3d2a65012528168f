// otasim-device: the reference device of the target contract otasim-target/1
// (targets/PROTOCOL.md). Parses the command line and dispatches the verb.
//
//   otasim-device VERB --state DIR [--config FILE] [--flaws a,b,...]
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "boot.hpp"
#include "device_config.hpp"
#include "device_state.hpp"
#include "exit_codes.hpp"
#include "flaws.hpp"
#include "log.hpp"
#include "power_cut.hpp"
#include "provision.hpp"
#include "updater.hpp"

namespace {

using namespace otasim::device;

constexpr std::string_view kUsage =
    "usage: otasim-device provision|check|run --state DIR --config FILE [--flaws LIST]\n"
    "       otasim-device state|boot --state DIR [--flaws LIST]\n";

struct Arguments {
  std::string verb;
  std::optional<std::string> state;
  std::optional<std::string> config;
  std::string flaws;
};

int Usage(const std::string& problem) {
  Log(problem);
  std::fputs(kUsage.data(), stderr);
  return kExitUsage;
}

// Accepts "--name value" and "--name=value".
std::optional<std::string> ParseArguments(int argc, char** argv, Arguments& args) {
  if (argc < 2) return "missing verb";
  args.verb = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string name = argv[i];
    std::optional<std::string> value;
    if (const auto eq = name.find('='); eq != std::string::npos && name.rfind("--", 0) == 0) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    }
    if (name != "--state" && name != "--config" && name != "--flaws") {
      return "unknown argument '" + name + "'";
    }
    if (!value) return name + " needs a value";
    if (name == "--state") args.state = *value;
    if (name == "--config") args.config = *value;
    if (name == "--flaws") args.flaws = *value;
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  Arguments args;
  if (auto problem = ParseArguments(argc, argv, args)) return Usage(*problem);

  const auto flaws = ParseFlaws(args.flaws);
  if (!flaws) return Usage("--flaws: " + flaws.error().message());
  if (!args.state) return Usage("--state DIR is required");
  const StateDir dir(*args.state);

  if (args.verb == "state") return RunState(dir, *flaws);
  if (args.verb == "boot") return RunBoot(dir, *flaws);
  if (args.verb != "provision" && args.verb != "check" && args.verb != "run") {
    return Usage("unknown verb '" + args.verb + "'");
  }
  if (!args.config) return Usage("--config FILE is required for " + args.verb);

  const auto cut = PowerCut::FromEnvironment();
  if (!cut) return Usage(cut.error().message());
  if (args.verb == "run") return RunDaemon(dir, *args.config, *flaws, *cut);

  const auto use = args.verb == "provision" ? ConfigUse::kProvision : ConfigUse::kCheck;
  const auto config = LoadConfig(*args.config, use);
  if (!config) {
    Log(config.error().message());
    return kExitUsage;
  }
  if (args.verb == "provision") return RunProvision(dir, *config, *flaws);
  Log("check: flaws: " + DescribeFlaws(*flaws));
  return RunCheck(dir, *config, *flaws, *cut);
}
