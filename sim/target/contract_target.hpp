// The adapter for programs that speak the target contract (targets/PROTOCOL.md) natively.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "otasim/fault.hpp"
#include "otasim/params.hpp"
#include "target/device_adapter.hpp"
#include "target/process.hpp"
#include "target/profile.hpp"
#include "target/template_values.hpp"

namespace otasim::target {

class ContractTarget final : public DeviceAdapter {
 public:
  // `values`: template values ({bin_dir}, {profile_dir}, the profile's parameters).
  ContractTarget(const TargetProfile& profile, std::map<std::string, std::string> values,
                 std::filesystem::path state_dir, std::filesystem::path config_file,
                 std::filesystem::path scratch_dir);

  const TargetProfile& profile() const override { return profile_; }
  // The program reads everything from its configuration file.
  void SetSessionFacts(const nlohmann::json&, const std::map<std::string, Release>&) override {}
  Result<VerbRun> Provision() override;
  // The program exits when the check is done: `watch` is not needed.
  Result<VerbRun> Check(std::chrono::milliseconds timeout, const std::optional<PowerCut>& cut,
                        const CheckWatch& watch) override;
  Result<VerbRun> Boot() override;
  // Runs `state` and parses its JSON (kProtocol when the output is not one JSON object).
  Result<nlohmann::json> State(VerbRun* run = nullptr) override;

 private:
  Result<VerbRun> Run(const std::string& verb, bool with_config, std::chrono::milliseconds timeout,
                      std::map<std::string, std::string> env);

  const TargetProfile& profile_;
  std::map<std::string, std::string> values_;
  std::filesystem::path state_dir_;
  std::filesystem::path config_file_;
  std::filesystem::path scratch_dir_;
  int runs_ = 0;
};

}  // namespace otasim::target
