// Live progress on a terminal (one rewritten line), plain lines otherwise, and the summary.
#pragma once

#include <filesystem>
#include <map>

#include "report/report.hpp"
#include "scenario/runner.hpp"

namespace otasim::cli {

class ProgressPrinter {
 public:
  ProgressPrinter(bool tty, bool quiet, bool verbose) : tty_(tty), quiet_(quiet), verbose_(verbose) {}
  void Update(const scenario::Progress& progress);  // called under the runner's lock
  void Finish();
  void Summary(const report::RunReport& report, const std::filesystem::path& out_dir) const;

 private:
  bool tty_, quiet_, verbose_;
  bool line_open_ = false;
  std::map<std::string, int> counts_;
};

}  // namespace otasim::cli
