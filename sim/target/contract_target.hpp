// The adapter for programs that speak the target contract (targets/PROTOCOL.md) natively.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "otasim/fault.hpp"
#include "otasim/params.hpp"
#include "target/process.hpp"
#include "target/profile.hpp"

namespace otasim::target {

struct VerbRun {
  std::string verb;
  ProcessResult process;
  std::string stdout_text;  // at most 1 MiB kept
  std::string stderr_text;  // at most 1 MiB kept
};

class ContractTarget {
 public:
  // `values`: template values ({bin_dir}, {profile_dir}, the profile's parameters).
  ContractTarget(const TargetProfile& profile, std::map<std::string, std::string> values,
                 std::filesystem::path state_dir, std::filesystem::path config_file,
                 std::filesystem::path scratch_dir);

  const TargetProfile& profile() const { return profile_; }
  Result<VerbRun> Provision();
  Result<VerbRun> Check(std::chrono::milliseconds timeout, const std::optional<PowerCut>& cut);
  Result<VerbRun> Boot();
  // Runs `state` and parses its JSON (kProtocol when the output is not one JSON object).
  Result<nlohmann::json> State(VerbRun* run = nullptr);

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

// Template values for a profile: bin_dir, profile_dir and every bound parameter
// (lists joined with commas).
std::map<std::string, std::string> TemplateValues(const TargetProfile& profile,
                                                  const Params& params,
                                                  const std::filesystem::path& bin_dir);

}  // namespace otasim::target
