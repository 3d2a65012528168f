// Where otasim finds its data (scenarios, target profiles) and sibling programs.
#pragma once

#include <filesystem>
#include <string>

#include "otasim/result.hpp"

namespace otasim::cli {

struct DataDirs {
  std::filesystem::path root;       // holds scenarios/ and targets/
  std::filesystem::path bin_dir;    // where otasim itself lives
  std::filesystem::path scenarios() const { return root / "scenarios"; }
  std::filesystem::path library() const { return root / "scenarios" / "library"; }
  std::filesystem::path suites() const { return root / "scenarios" / "suites"; }
  std::filesystem::path grading_profiles() const { return root / "scenarios" / "profiles"; }
  std::filesystem::path catalogue() const { return root / "scenarios" / "requirements.yaml"; }
  std::filesystem::path target_profiles() const { return root / "targets" / "profiles"; }
};

// Order: --data-dir, $OTASIM_DATA_DIR, the source tree of a build (bin/../../..),
// an installation (bin/../share/otasim), the current directory.
Result<DataDirs> FindDataDirs(const std::string& override_dir);

}  // namespace otasim::cli
