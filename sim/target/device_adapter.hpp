// How a session drives and observes the device under test, whatever it is: a program speaking
// the target contract (ContractTarget), an OTA client driven through a profile's command
// templates (TemplateTarget), or a real device on the network (RemoteTarget).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "otasim/fault.hpp"
#include "otasim/result.hpp"
#include "otasim/session.hpp"
#include "target/process.hpp"
#include "target/profile.hpp"

namespace otasim::target {

struct VerbRun {
  std::string verb;
  ProcessResult process;
  std::string stdout_text;  // at most 1 MiB kept
  std::string stderr_text;  // at most 1 MiB kept
  // Set by adapters that classify a check themselves (exit-code maps, log patterns, the
  // report the client sent): "installed", "no-update", "rejected", "failed", "error" and the
  // reason, with the evidence that decided it ("log line 12: ...", "feedback: closed/failure").
  // Unset: the session reads the contract's exit codes.
  std::optional<std::string> outcome;
  std::string reason;
  std::string evidence;
};

// What the session knows while a check runs, for adapters that watch a daemon or a remote
// device rather than wait for a process to exit.
struct CheckWatch {
  // Status reports the server model recorded since the step began.
  std::function<std::vector<StatusReport>()> reports;
  // Requests the device made since the step began.
  std::function<std::vector<Exchange>()> exchanges;
};

class DeviceAdapter {
 public:
  virtual ~DeviceAdapter() = default;
  virtual const TargetProfile& profile() const = 0;
  // What the session knows only once the server runs and the releases are built (the device
  // configuration with its endpoint block and file paths; the releases, by image digest): the
  // session calls this every time it writes the configuration, before the next verb.
  virtual void SetSessionFacts(const nlohmann::json& config,
                               const std::map<std::string, Release>& releases) = 0;
  virtual Result<VerbRun> Provision() = 0;
  virtual Result<VerbRun> Check(std::chrono::milliseconds timeout,
                                const std::optional<PowerCut>& cut, const CheckWatch& watch) = 0;
  virtual Result<VerbRun> Boot() = 0;
  // The device's state as the contract's `state` verb prints it (running, installs,
  // last_result, last_reason, bootable, ...): asked from the device, or synthesized by the
  // adapter from what it can observe (a slot file's digest, the reports).
  virtual Result<nlohmann::json> State(VerbRun* run = nullptr) = 0;
};

}  // namespace otasim::target
