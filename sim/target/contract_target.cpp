#include "target/contract_target.hpp"

#include "otasim/files.hpp"

namespace otasim::target {

ContractTarget::ContractTarget(const TargetProfile& profile,
                               std::map<std::string, std::string> values,
                               std::filesystem::path state_dir, std::filesystem::path config_file,
                               std::filesystem::path scratch_dir)
    : profile_(profile),
      values_(std::move(values)),
      state_dir_(std::move(state_dir)),
      config_file_(std::move(config_file)),
      scratch_dir_(std::move(scratch_dir)) {}

Result<VerbRun> ContractTarget::Run(const std::string& verb, bool with_config,
                                    std::chrono::milliseconds timeout,
                                    std::map<std::string, std::string> env) {
  if (!profile_.Supports(verb)) {
    return MakeError(Errc::kUnsupported, "target '" + profile_.name + "' does not support '" +
                                             verb + "'");
  }
  ProcessSpec spec;
  OTASIM_TRY(std::string command, ExpandTemplate(profile_.command, values_));
  spec.argv.push_back(command);
  spec.argv.push_back(verb);
  spec.argv.push_back("--state");
  spec.argv.push_back(state_dir_.string());
  if (with_config) {
    spec.argv.push_back("--config");
    spec.argv.push_back(config_file_.string());
  }
  for (const auto& arg : profile_.args) {
    OTASIM_TRY(std::string expanded, ExpandTemplate(arg, values_));
    spec.argv.push_back(expanded);
  }
  const std::string tag = std::to_string(++runs_) + "-" + verb;
  spec.stdout_file = scratch_dir_ / (tag + ".out");
  spec.stderr_file = scratch_dir_ / (tag + ".err");
  spec.timeout = timeout;
  spec.extra_env = std::move(env);
  OTASIM_TRY(ProcessResult process, RunProcess(spec));
  VerbRun run;
  run.verb = verb;
  run.process = process;
  auto out = ReadFile(spec.stdout_file, 1u << 20);
  auto err = ReadFile(spec.stderr_file, 1u << 20);
  run.stdout_text = out ? *out : "(output larger than 1 MiB or unreadable)";
  run.stderr_text = err ? *err : "(output larger than 1 MiB or unreadable)";
  std::error_code ec;
  std::filesystem::remove(spec.stdout_file, ec);
  std::filesystem::remove(spec.stderr_file, ec);
  return run;
}

Result<VerbRun> ContractTarget::Provision() {
  return Run("provision", true, profile_.Timeout("provision"), {});
}

Result<VerbRun> ContractTarget::Check(std::chrono::milliseconds timeout,
                                      const std::optional<PowerCut>& cut, const CheckWatch&) {
  std::map<std::string, std::string> env;
  if (cut) {
    if (profile_.power_cut != "env") {
      return MakeError(Errc::kUnsupported, "target '" + profile_.name +
                                               "' cannot be power-cut (power_cut: none)");
    }
    env["OTASIM_POWER_CUT"] = cut->stage + ":" + std::to_string(static_cast<int>(cut->percent));
  }
  return Run("check", true, timeout, std::move(env));
}

Result<VerbRun> ContractTarget::Boot() { return Run("boot", false, profile_.Timeout("boot"), {}); }

Result<nlohmann::json> ContractTarget::State(VerbRun* run_out) {
  OTASIM_TRY(VerbRun run, Run("state", false, profile_.Timeout("state"), {}));
  if (run_out != nullptr) *run_out = run;
  if (!run.process.exited || run.process.exit_code != 0) {
    return MakeError(Errc::kProtocol, "state: " + run.process.Describe());
  }
  try {
    auto state = nlohmann::json::parse(run.stdout_text);
    if (!state.is_object()) return MakeError(Errc::kProtocol, "state: output is not a JSON object");
    return state;
  } catch (const nlohmann::json::exception& e) {
    return MakeError(Errc::kProtocol, std::string("state: output is not JSON: ") + e.what());
  }
}

}  // namespace otasim::target
