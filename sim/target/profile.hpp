// Target profiles (YAML): how to run and observe a device under test.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "otasim/params.hpp"
#include "otasim/result.hpp"

namespace otasim::target {

struct TargetProfile {
  std::string name;
  std::string summary;
  std::string adapter = "contract";  // the program speaks targets/PROTOCOL.md natively
  std::string command;               // template: {bin_dir}, {profile_dir}, {<param>}
  std::vector<std::string> args;     // templates, given after the verb's own arguments
  std::vector<std::string> protocols;
  std::vector<std::string> verbs;    // provision, check, state, boot, run
  std::string power_cut = "none";    // "env": honours OTASIM_POWER_CUT
  std::vector<ParamSpec> params;
  std::map<std::string, std::chrono::milliseconds> timeouts;  // per verb
  std::filesystem::path file;
  std::string sha256;

  bool Supports(const std::string& verb) const;
  bool SupportsProtocol(const std::string& protocol) const;
  std::chrono::milliseconds Timeout(const std::string& verb) const;  // default 30 s
};

Result<TargetProfile> LoadTargetProfile(const std::filesystem::path& path);

// NAME (looked up as <profiles_dir>/NAME.yaml) or a path to a profile file.
Result<std::filesystem::path> FindTargetProfile(const std::string& name_or_path,
                                                const std::filesystem::path& profiles_dir);

// Replaces {name} placeholders; unknown placeholders are an error naming them.
Result<std::string> ExpandTemplate(const std::string& text,
                                   const std::map<std::string, std::string>& values);

}  // namespace otasim::target
