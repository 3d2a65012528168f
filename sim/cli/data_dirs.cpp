#include "cli/data_dirs.hpp"

#include <cstdlib>
#include <vector>

namespace otasim::cli {

Result<DataDirs> FindDataDirs(const std::string& override_dir) {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  const auto bin_dir = ec ? std::filesystem::current_path() : exe.parent_path();
  std::vector<std::filesystem::path> candidates;
  if (!override_dir.empty()) {
    candidates.push_back(override_dir);
  } else {
    if (const char* env = std::getenv("OTASIM_DATA_DIR"); env != nullptr && *env != '\0') {
      candidates.push_back(env);
    } else {
      // A build directory (build/<preset>/bin) has a CMakeCache.txt beside bin/; an installed
      // otasim (PREFIX/bin) must not pick up whatever lies two levels above its prefix.
      if (std::filesystem::is_regular_file(bin_dir / ".." / "CMakeCache.txt", ec)) {
        candidates.push_back(bin_dir / ".." / ".." / "..");
      }
      candidates.push_back(bin_dir / ".." / "share" / "otasim");
      candidates.push_back(std::filesystem::current_path());
    }
  }
  for (const auto& dir : candidates) {
    if (std::filesystem::is_regular_file(dir / "scenarios" / "requirements.yaml", ec)) {
      return DataDirs{std::filesystem::weakly_canonical(dir, ec), bin_dir};
    }
  }
  std::string tried;
  for (const auto& dir : candidates) tried += " " + dir.string();
  return MakeError(Errc::kNotFound,
                   "cannot find otasim's data (scenarios/requirements.yaml) in:" + tried +
                       "; pass --data-dir or set OTASIM_DATA_DIR");
}

}  // namespace otasim::cli
