#include "target/remote_target.hpp"

#include <thread>

#include "otasim/files.hpp"
#include "target/outcome_rules.hpp"

namespace otasim::target {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPollEvery = std::chrono::milliseconds(50);
constexpr std::size_t kMaxOutput = 1u << 20;
constexpr std::size_t kMaxEvidence = 200;

// The outcomes a report can claim; anything else a device says is not an outcome otasim knows.
std::string OutcomeOfReport(const std::string& result) {
  for (const char* known : {"installed", "rejected", "failed", "no-update"}) {
    if (result == known) return result;
  }
  return "error";
}

std::string Seconds(std::chrono::milliseconds ms) {
  const auto tenths = ms.count() / 100;
  return std::to_string(tenths / 10) + (tenths % 10 != 0 ? "." + std::to_string(tenths % 10) : "") + " s";
}

VerbRun Synthesized(const std::string& verb, std::string text) {
  VerbRun run;
  run.verb = verb;
  run.process.exited = true;
  run.process.exit_code = 0;
  run.stdout_text = std::move(text);
  return run;
}

}  // namespace

RemoteTarget::RemoteTarget(const TargetProfile& profile, TemplateMap values,
                           std::string reset_command, std::filesystem::path scratch_dir)
    : profile_(profile),
      values_(std::move(values)),
      reset_command_(std::move(reset_command)),
      scratch_dir_(std::move(scratch_dir)) {}

void RemoteTarget::SetSessionFacts(const nlohmann::json& config,
                                   const std::map<std::string, Release>& releases) {
  releases_ = &releases;
  const auto initial = config.value("initial_firmware", nlohmann::json::object());
  initial_image_ = initial.is_object() ? initial.value("image", "") : "";
}

Result<VerbRun> RemoteTarget::Provision() {
  // What the device runs once reset: the scenario's initial release (its own word comes later).
  running_.reset();
  if (releases_ != nullptr) {
    for (const auto& [name, release] : *releases_) {
      if (release.image_path.string() == initial_image_) {
        running_ = {{"version", release.manifest.version}, {"sequence", release.manifest.sequence}};
      }
    }
  }
  installs_ = 0;
  last_result_ = "none";
  last_reason_ = "none";
  const std::string assumed =
      running_ ? (*running_)["version"].get<std::string>() : std::string("(unknown)");
  if (reset_command_.empty()) {
    return Synthesized("provision", "no --remote-reset command: the device is assumed to run the "
                                    "initial release " + assumed + " with nothing installed since\n");
  }
  auto command = ExpandTemplate(reset_command_, values_);
  if (!command) return command.error().WithContext("--remote-reset");
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", *command};
  spec.stdout_file = scratch_dir_ / "remote-reset.out";
  spec.stderr_file = scratch_dir_ / "remote-reset.err";
  spec.timeout = profile_.Timeout("provision");
  auto process = RunProcess(spec);
  if (!process) return process.error().WithContext("--remote-reset");
  VerbRun run;
  run.verb = "provision";
  run.process = *process;
  auto out = ReadFile(spec.stdout_file, kMaxOutput);
  auto err = ReadFile(spec.stderr_file, kMaxOutput);
  run.stdout_text = "--remote-reset: " + *command + "\n" + (out ? *out : std::string());
  run.stderr_text = err ? *err : std::string();
  std::error_code ec;
  std::filesystem::remove(spec.stdout_file, ec);
  std::filesystem::remove(spec.stderr_file, ec);
  if (process->timed_out) {
    return MakeError(Errc::kTimeout, "--remote-reset '" + *command + "' did not exit within " +
                                         Seconds(spec.timeout) + " (the profile's provision timeout)");
  }
  return run;
}

std::optional<RemoteTarget::Decision> RemoteTarget::Decide(
    const std::vector<Exchange>& exchanges, const std::vector<StatusReport>& reports) const {
  for (const auto& report : reports) {
    if (!IsFinalReport(report)) continue;
    std::string text = "status report: " + ReportText(report);
    if (text.size() > kMaxEvidence) text = text.substr(0, kMaxEvidence) + "...";
    return Decision{OutcomeOfReport(report.result), report.reason, std::move(text), report};
  }
  // No report. The first manifest request may have been on its way when the step began, so
  // only the poll after the next one proves that the device finished a whole cycle silently.
  std::size_t manifests = 0, images = 0;
  for (const auto& exchange : exchanges) {
    if (exchange.kind == "manifest") ++manifests;
    if (exchange.kind == "image") ++images;
  }
  if (manifests < 3) return std::nullopt;
  if (images > 0) {
    return Decision{"error", "",
                    "the device fetched the image (" + std::to_string(images) +
                        " request(s)) and polled again without a status report: its outcome is "
                        "unknown, as a remote device is judged by its reports",
                    std::nullopt};
  }
  return Decision{"no-update", "",
                  "the device polled " + std::to_string(manifests) +
                      " times without fetching the image or reporting",
                  std::nullopt};
}

void RemoteTarget::Remember(const Decision& decision) {
  last_result_ = decision.outcome;
  last_reason_ = decision.reason.empty() ? "none" : decision.reason;
  if (decision.outcome == "installed" && decision.report) {
    running_ = {{"version", decision.report->version}, {"sequence", decision.report->sequence}};
    ++installs_;
  }
}

Result<VerbRun> RemoteTarget::Check(std::chrono::milliseconds timeout,
                                    const std::optional<PowerCut>& cut, const CheckWatch& watch) {
  if (cut) return MakeError(Errc::kUnsupported, "a remote device cannot be power-cut");
  const auto start = Clock::now();
  const auto deadline = start + timeout;
  std::vector<Exchange> exchanges;
  while (true) {
    // Exchanges before reports: a report that ended a cycle is recorded before the next poll.
    exchanges = watch.exchanges ? watch.exchanges() : std::vector<Exchange>{};
    const auto reports = watch.reports ? watch.reports() : std::vector<StatusReport>{};
    if (auto decision = Decide(exchanges, reports)) {
      Remember(*decision);
      VerbRun run = Synthesized("check", "(observed by otasim on the server) " + decision->evidence + "\n");
      run.process.duration_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
      run.outcome = decision->outcome;
      run.reason = decision->reason;
      run.evidence = decision->evidence;
      return run;
    }
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(kPollEvery);
  }
  if (exchanges.empty()) {
    return MakeError(Errc::kTimeout, "the device did not poll within " + Seconds(timeout) +
                                         " (is it pointed at this address, and running?)");
  }
  const Exchange& last = exchanges.back();
  return MakeError(Errc::kTimeout, "the device did not finish within " + Seconds(timeout) + " (" +
                                       std::to_string(exchanges.size()) + " request(s), the last " +
                                       last.method + " " + last.resource + " → " +
                                       std::to_string(last.status) + ", and no status report)");
}

Result<VerbRun> RemoteTarget::Boot() {
  return MakeError(Errc::kUnsupported, "a remote device cannot be rebooted by otasim");
}

Result<nlohmann::json> RemoteTarget::State(VerbRun* run_out) {
  nlohmann::json state = {
      // Whether it would boot is the device's own claim: nothing here can check it.
      {"bootable", running_.has_value()},
      {"installs", installs_},
      {"last_result", last_result_},
      {"last_reason", last_reason_},
      {"observed_by", "device reports"},
      {"note", "a remote device: running, installs and bootable are what it reported, unverified"}};
  if (running_) state["running"] = *running_;
  if (run_out != nullptr) *run_out = Synthesized("state", "(synthesized by otasim) " + state.dump() + "\n");
  return state;
}

}  // namespace otasim::target
