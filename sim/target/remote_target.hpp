// The adapter for a real device on the network (`otasim run --target remote --listen
// HOST:PORT`): otasim cannot start, stop or inspect it. It waits for the device to poll the
// session's server and judges from what the device asked and reported; the device's word is
// all it has. A --remote-reset command, if given, brings the device back to the scenario's
// initial release before each scenario (targets/PROTOCOL.md, "Remote devices").
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "target/device_adapter.hpp"
#include "target/template_values.hpp"

namespace otasim::target {

class RemoteTarget final : public DeviceAdapter {
 public:
  // `values`: what the reset command's template can name ({bundle_dir}, {config_file}, ...);
  // `reset_command`: a shell command, empty when none was given; `scratch_dir`: its output.
  RemoteTarget(const TargetProfile& profile, TemplateMap values, std::string reset_command,
               std::filesystem::path scratch_dir);

  const TargetProfile& profile() const override { return profile_; }
  void SetSessionFacts(const nlohmann::json& config,
                       const std::map<std::string, Release>& releases) override;
  // Runs the reset command (deadline: the profile's provision timeout); none: the device is
  // assumed to run the initial release, and the output says so.
  Result<VerbRun> Provision() override;
  // Waits, polling every 50 ms until `timeout`, for the device to act: a final status report
  // since the step began decides; two complete polls without one are "no update".
  Result<VerbRun> Check(std::chrono::milliseconds timeout, const std::optional<PowerCut>& cut,
                        const CheckWatch& watch) override;
  Result<VerbRun> Boot() override;  // kUnsupported: nobody can reboot a device on the network
  // Synthesized from the device's reports ("observed_by": "device reports").
  Result<nlohmann::json> State(VerbRun* run = nullptr) override;

 private:
  struct Decision {
    std::string outcome;
    std::string reason;
    std::string evidence;
    std::optional<StatusReport> report;
  };
  std::optional<Decision> Decide(const std::vector<Exchange>& exchanges,
                                 const std::vector<StatusReport>& reports) const;
  void Remember(const Decision& decision);

  const TargetProfile& profile_;
  TemplateMap values_;
  const std::string reset_command_;
  const std::filesystem::path scratch_dir_;
  const std::map<std::string, Release>* releases_ = nullptr;
  std::string initial_image_;  // the configuration's initial_firmware.image
  std::optional<nlohmann::json> running_;  // {"version", "sequence"} as the device reported
  std::uint64_t installs_ = 0;
  std::string last_result_ = "none";
  std::string last_reason_ = "none";
};

}  // namespace otasim::target
