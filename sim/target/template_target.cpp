#include "target/template_target.hpp"

#include <unistd.h>

#include <cstdlib>

#include "otasim/files.hpp"
#include "target/faketime.hpp"
#include "target/outcome_rules.hpp"
#include "target/state_synthesis.hpp"

namespace otasim::target {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kMaxOutput = 1u << 20;
constexpr int kMaxAttempts = 3;  // retry_if: the first run and two more

std::chrono::milliseconds Left(Clock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
}

// The program to start: a path as given, or a bare name looked up on PATH.
Result<std::string> ResolveProgram(const std::string& command) {
  if (command.empty()) return MakeError(Errc::kInvalidArgument, "empty command");
  if (command.find('/') != std::string::npos) {
    if (access(command.c_str(), X_OK) != 0) {
      return MakeError(Errc::kNotFound, "command '" + command + "' does not exist or is not executable");
    }
    return command;
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const auto candidate = std::filesystem::path(dirs.substr(start, end - start)) / command;
    if (end > start && access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return MakeError(Errc::kNotFound, "command '" + command + "' not found on PATH");
}

void AppendCapped(std::string& to, const std::string& text) {
  if (to.size() >= kMaxOutput) return;
  to += text.substr(0, kMaxOutput - to.size());
}

bool Within(const std::filesystem::path& path, const std::filesystem::path& dir) {
  const std::string p = path.lexically_normal().string();
  const std::string d = dir.lexically_normal().string();
  return p.size() > d.size() && p.rfind(d, 0) == 0 && p[d.size()] == '/';
}

}  // namespace

TemplateTarget::TemplateTarget(const TargetProfile& profile, TemplateMap values,
                               std::filesystem::path state_dir, std::filesystem::path config_file,
                               std::filesystem::path scratch_dir)
    : profile_(profile),
      run_values_(std::move(values)),
      state_dir_(std::move(state_dir)),
      config_file_(std::move(config_file)),
      scratch_dir_(std::move(scratch_dir)) {
  values_ = run_values_;
  values_.merge(SessionDirValues(state_dir_, scratch_dir_, config_file_));
}

void TemplateTarget::SetSessionFacts(const nlohmann::json& config,
                                     const std::map<std::string, Release>& releases) {
  releases_ = &releases;
  TemplateMap next = ConfigValues(config, releases);
  next.merge(SessionDirValues(state_dir_, scratch_dir_, config_file_));
  for (const auto& [name, value] : run_values_) next.try_emplace(name, value);
  // Until the adapter has observed an install, the factory image is what runs.
  if (provisioned_ && running_ != nullptr) {
    next["installed_version"] = running_->manifest.version;
    next["installed_sequence"] = std::to_string(running_->manifest.sequence);
  } else if (provisioned_) {
    next["installed_version"] = "";
    next["installed_sequence"] = "";
  } else {
    next["installed_version"] = next["initial_version"];
    next["installed_sequence"] = next["initial_sequence"];
  }
  values_ = std::move(next);
}

Result<std::string> TemplateTarget::Expand(const std::string& text, const std::string& where) const {
  auto expanded = ExpandTemplate(text, values_);
  if (!expanded) return expanded.error().WithContext(where);
  return expanded;
}

std::optional<StatusReport> TemplateTarget::FinalReport(const CheckWatch* watch) const {
  if (watch == nullptr || !watch->reports) return std::nullopt;
  std::optional<StatusReport> last;
  for (auto& report : watch->reports()) {
    if (IsFinalReport(report)) last = std::move(report);
  }
  return last;
}

Status TemplateTarget::RunCommand(const ProfileAction& action, const std::string& where,
                                  std::chrono::milliseconds left, const CheckWatch* watch,
                                  VerbRun& run) {
  OTASIM_TRY(std::string command, Expand(action.command, where));
  auto program = ResolveProgram(command);
  if (!program) return program.error().WithContext(where);
  ProcessSpec spec;
  spec.argv.push_back(*program);
  for (const auto& arg : action.args) {
    OTASIM_TRY(std::string expanded, Expand(arg, where));
    spec.argv.push_back(std::move(expanded));
  }
  for (const auto& [name, value] : action.env) {
    OTASIM_TRY(std::string expanded, Expand(value, where + " env " + name));
    // A private directory the client is pointed at (TMPDIR) must exist before it starts.
    if (Within(expanded, state_dir_) || Within(expanded, scratch_dir_)) {
      std::error_code ec;
      std::filesystem::create_directories(expanded, ec);
    }
    spec.extra_env[name] = std::move(expanded);
  }
  if (profile_.clock == "faketime") {
    auto clock = FaketimeEnvironment(values_.at("now"));
    if (!clock) return clock.error().WithContext(where);
    for (auto& [name, value] : *clock) spec.extra_env[name] = std::move(value);
  }
  const std::string tag = std::to_string(++runs_) + "-" + run.verb;
  spec.stdout_file = scratch_dir_ / (tag + ".out");
  spec.stderr_file = scratch_dir_ / (tag + ".err");
  spec.timeout = action.timeout ? std::min(*action.timeout, left) : left;
  if (action.daemon) {
    // until: final-report — the client has told the server how the update ended.
    spec.stop_when = [this, watch, &action, out = spec.stdout_file, err = spec.stderr_file] {
      if (FinalReport(watch).has_value()) return true;
      if (!action.until_log_regex) return false;
      for (const auto& file : {out, err}) {
        auto text = ReadFile(file, kMaxOutput);
        if (text && std::regex_search(*text, *action.until_log_regex)) return true;
      }
      return false;
    };
  }
  Result<ProcessResult> process = MakeError(Errc::kInternal, "not run");
  for (int attempt = 1;; ++attempt) {
    process = RunProcess(spec);
    if (!process) return process.error().WithContext(where);
    auto out = ReadFile(spec.stdout_file, kMaxOutput);
    auto err = ReadFile(spec.stderr_file, kMaxOutput);
    const std::string out_text = out ? *out : "(output larger than 1 MiB or unreadable)\n";
    const std::string err_text = err ? *err : "(output larger than 1 MiB or unreadable)\n";
    std::error_code ec;
    std::filesystem::remove(spec.stdout_file, ec);
    std::filesystem::remove(spec.stderr_file, ec);
    if (action.retry_regex && attempt < kMaxAttempts && !process->timed_out &&
        std::regex_search(out_text + err_text, *action.retry_regex)) {
      // The client tripped over itself: its output is no outcome, so it is left out of what
      // the rules read, and the run starts again from empty scratch directories.
      AppendCapped(run.stderr_text, "[otasim] attempt " + std::to_string(attempt) + " of '" +
                                        command + "' matched retry_if /" + action.retry_if +
                                        "/: run again\n");
      for (const auto& [name, value] : spec.extra_env) {
        if (!Within(value, scratch_dir_)) continue;
        std::filesystem::remove_all(value, ec);
        std::filesystem::create_directories(value, ec);
      }
      continue;
    }
    AppendCapped(run.stdout_text, out_text);
    AppendCapped(run.stderr_text, err_text);
    break;
  }
  run.process = *process;
  if (process->timed_out && !action.daemon && run.verb == "check") {
    // Still busy at the step's limit (a trickle it never gives up on, a hang): the check's
    // outcome is `error`, as for a contract program killed at its deadline, and the step's
    // expectations judge it. Nothing after it runs.
    const std::string limit = action.timeout && *action.timeout <= left
                                  ? "its timeout of " + std::to_string(action.timeout->count()) + " ms"
                                  : "the check's time limit";
    run.evidence = where + ": '" + command + "' was still running at " + limit + " (killed after " +
                   std::to_string(process->duration_ms) + " ms)";
    AppendCapped(run.stderr_text, "[otasim] " + run.evidence + "\n");
    return {};
  }
  if (process->timed_out && !action.daemon) {
    // A set-up verb that hangs is a broken profile or a broken client: nothing to judge.
    const std::string limit = action.timeout && *action.timeout <= left
                                  ? "its timeout of " + std::to_string(action.timeout->count()) + " ms"
                                  : "the " + run.verb + "'s time limit";
    return MakeError(Errc::kTimeout, where + ": '" + command + "' did not exit within " + limit +
                                         " (killed after " + std::to_string(process->duration_ms) +
                                         " ms)");
  }
  return {};
}

Result<VerbRun> TemplateTarget::RunActions(const std::string& verb,
                                           std::chrono::milliseconds budget,
                                           const CheckWatch* watch) {
  auto it = profile_.commands.find(verb);
  if (it == profile_.commands.end() || !profile_.Supports(verb)) {
    return MakeError(Errc::kUnsupported, "target '" + profile_.name + "' does not support '" +
                                             verb + "'");
  }
  const auto deadline = Clock::now() + budget;
  VerbRun run;
  run.verb = verb;
  run.process.exited = true;  // a verb of file actions only "exits 0"
  run.process.exit_code = 0;
  const auto start = Clock::now();
  auto elapsed_ms = [start] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  };
  int index = 0;
  for (const auto& action : it->second) {
    const std::string where = profile_.file.string() + ":" + std::to_string(action.line) +
                              ": commands." + verb + "[" + std::to_string(++index) + "]";
    if (action.when_installed) {
      CheckEvidence so_far{run.stdout_text + run.stderr_text, FinalReport(watch),
                           run.process.exited ? std::optional<int>(run.process.exit_code) : std::nullopt};
      if (DecideOutcome(profile_.outcome_rules, profile_.outcome_default, so_far).outcome != "installed") {
        continue;
      }
    }
    const auto left = Left(deadline);
    if (left.count() <= 0) {
      return MakeError(Errc::kTimeout, where + ": the " + verb + "'s " +
                                           std::to_string(budget.count()) + " ms ran out before it");
    }
    switch (action.kind) {
      case ProfileAction::Kind::kCopy: {
        OTASIM_TRY(std::string from, Expand(action.from, where));
        OTASIM_TRY(std::string to, Expand(action.to, where));
        std::error_code ec;
        std::filesystem::create_directories(std::filesystem::path(to).parent_path(), ec);
        std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing, ec);
        if (ec) return MakeError(Errc::kIo, where + ": copying " + from + " to " + to + ": " + ec.message());
        break;
      }
      case ProfileAction::Kind::kWrite: {
        OTASIM_TRY(std::string path, Expand(action.path, where));
        OTASIM_TRY(std::string text, Expand(action.text, where));
        std::error_code ec;
        std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
        if (Status written = WriteFileAtomic(path, text); !written) {
          return written.error().WithContext(where);
        }
        break;
      }
      case ProfileAction::Kind::kCommand:
        OTASIM_CHECK(RunCommand(action, where, left, watch, run));
        if (run.process.timed_out) {
          run.process.duration_ms = elapsed_ms();
          return run;
        }
        // Set-up verbs stop at the first failure; a check's rules judge every failure.
        if (verb != "check" && !(run.process.exited && run.process.exit_code == 0)) {
          run.process.duration_ms = elapsed_ms();
          return run;
        }
        break;
    }
  }
  run.process.duration_ms = elapsed_ms();
  return run;
}

Status TemplateTarget::Observe() {
  OTASIM_TRY(std::string file, Expand(profile_.installed_file, profile_.file.string() + ": observe.installed_file"));
  OTASIM_TRY(std::optional<std::string> digest, InstalledDigest(file));
  if (provisioned_ && digest && digest != digest_) ++installs_;
  digest_ = digest;
  running_ = releases_ != nullptr ? ReleaseWithDigest(*releases_, digest_) : nullptr;
  values_["installed_version"] = running_ != nullptr ? running_->manifest.version : "";
  values_["installed_sequence"] = running_ != nullptr ? std::to_string(running_->manifest.sequence) : "";
  return {};
}

Result<VerbRun> TemplateTarget::Provision() {
  OTASIM_TRY(VerbRun run, RunActions("provision", profile_.Timeout("provision"), nullptr));
  if (run.process.exited && run.process.exit_code == 0) {
    OTASIM_CHECK(Observe());
    provisioned_ = true;
    installs_ = 0;
  }
  return run;
}

Result<VerbRun> TemplateTarget::Check(std::chrono::milliseconds timeout,
                                      const std::optional<PowerCut>& cut, const CheckWatch& watch) {
  if (cut) {
    return MakeError(Errc::kUnsupported, "target '" + profile_.name + "' cannot be power-cut");
  }
  OTASIM_TRY(VerbRun run, RunActions("check", timeout, &watch));
  const CheckEvidence evidence{
      run.stdout_text + run.stderr_text, FinalReport(&watch),
      run.process.exited ? std::optional<int>(run.process.exit_code) : std::nullopt};
  OutcomeDecision decision =
      DecideOutcome(profile_.outcome_rules, profile_.outcome_default, evidence);
  if (run.process.timed_out) decision = {"error", "", run.evidence};
  run.outcome = decision.outcome;
  run.reason = decision.reason;
  run.evidence = decision.evidence;
  last_result_ = decision.outcome;
  last_reason_ = decision.reason.empty() ? "none" : decision.reason;
  OTASIM_CHECK(Observe());
  if (decision.outcome == "installed" && running_ != nullptr && !profile_.version_file.empty()) {
    OTASIM_TRY(std::string file, Expand(profile_.version_file, profile_.file.string() + ": observe.version_file"));
    OTASIM_CHECK(WriteFileAtomic(file, running_->manifest.version));
  }
  return run;
}

Result<VerbRun> TemplateTarget::Boot() {
  OTASIM_TRY(VerbRun run, RunActions("boot", profile_.Timeout("boot"), nullptr));
  OTASIM_CHECK(Observe());
  return run;
}

Result<nlohmann::json> TemplateTarget::State(VerbRun* run_out) {
  OTASIM_CHECK(Observe());
  AdapterObservation seen{running_, digest_, installs_, last_result_, last_reason_};
  nlohmann::json state = SynthesizeState(seen);
  if (run_out != nullptr) {
    *run_out = VerbRun{};
    run_out->verb = "state";
    run_out->process.exited = true;
    run_out->process.exit_code = 0;
    run_out->stdout_text = "(synthesized by otasim) " + state.dump() + "\n";
  }
  return state;
}

}  // namespace otasim::target
