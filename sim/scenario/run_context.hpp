// What every session of a run shares, read-only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "otasim/params.hpp"
#include "plugin_host/registry.hpp"
#include "target/profile.hpp"

namespace otasim::scenario {

struct RunContext {
  const plugin_host::Registry* registry = nullptr;
  const target::TargetProfile* profile = nullptr;
  std::map<std::string, std::string> target_values;  // template values for the profile
  std::filesystem::path out_dir;    // report and evidence root
  std::filesystem::path work_root;  // sessions' private directories (removed afterwards)
  std::uint64_t seed = 1;
  bool keep_work = false;
};

}  // namespace otasim::scenario
