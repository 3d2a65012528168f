// The adapter for OTA clients that do not speak the target contract: the profile maps each
// verb to the client's own commands and files through templates, decides a check's outcome by
// its rules, and the adapter synthesizes the device's state from the file the client installs
// into (targets/PROTOCOL.md, "Profiles for other clients").
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "target/device_adapter.hpp"
#include "target/template_values.hpp"

namespace otasim::target {

class TemplateTarget final : public DeviceAdapter {
 public:
  // `values`: the run's template values (TemplateValues).
  TemplateTarget(const TargetProfile& profile, TemplateMap values, std::filesystem::path state_dir,
                 std::filesystem::path config_file, std::filesystem::path scratch_dir);

  const TargetProfile& profile() const override { return profile_; }
  void SetSessionFacts(const nlohmann::json& config,
                       const std::map<std::string, Release>& releases) override;
  Result<VerbRun> Provision() override;
  Result<VerbRun> Check(std::chrono::milliseconds timeout, const std::optional<PowerCut>& cut,
                        const CheckWatch& watch) override;
  Result<VerbRun> Boot() override;
  Result<nlohmann::json> State(VerbRun* run = nullptr) override;

  // The values templates expand with right now (for tests and the evidence).
  const TemplateMap& values() const { return values_; }

 private:
  Result<VerbRun> RunActions(const std::string& verb, std::chrono::milliseconds budget,
                             const CheckWatch* watch);
  Status RunCommand(const ProfileAction& action, const std::string& where,
                    std::chrono::milliseconds left, const CheckWatch* watch, VerbRun& run);
  Result<std::string> Expand(const std::string& text, const std::string& where) const;
  // Re-reads the installed file: which release runs, and whether the digest changed.
  Status Observe();
  std::optional<StatusReport> FinalReport(const CheckWatch* watch) const;

  const TargetProfile& profile_;
  const TemplateMap run_values_;
  const std::filesystem::path state_dir_;
  const std::filesystem::path config_file_;
  const std::filesystem::path scratch_dir_;
  TemplateMap values_;
  const std::map<std::string, Release>* releases_ = nullptr;
  bool provisioned_ = false;
  std::optional<std::string> digest_;
  const Release* running_ = nullptr;
  std::uint64_t installs_ = 0;
  std::string last_result_ = "none";
  std::string last_reason_ = "none";
  int runs_ = 0;
};

}  // namespace otasim::target
