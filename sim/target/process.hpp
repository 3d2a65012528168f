// Running a device program: spawned in its own process group, output to files, a deadline on
// every wait, always reaped.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "otasim/result.hpp"

namespace otasim::target {

struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] is the program path
  std::map<std::string, std::string> extra_env;
  std::filesystem::path stdout_file;  // truncated
  std::filesystem::path stderr_file;  // truncated
  std::chrono::milliseconds timeout{30000};
  // A daemon: polled while it runs; once this returns true, or at the timeout, the group gets
  // SIGTERM, then SIGKILL after `stop_grace`. Unset: SIGKILL at the timeout.
  std::function<bool()> stop_when;
  std::chrono::milliseconds stop_grace{2000};
};

struct ProcessResult {
  bool exited = false;   // ended by exit(); exit_code is valid
  int exit_code = -1;
  int signal = 0;        // ended by this signal
  bool timed_out = false;  // killed by the harness at the deadline
  bool stopped = false;    // a daemon stopped by the harness because its stop_when held
  std::int64_t duration_ms = 0;
  std::string Describe() const;  // "exit 20", "killed by signal 9", "timed out after 30000 ms", "stopped after 1200 ms"
};

// kIo when the program cannot be started (not found, not executable).
Result<ProcessResult> RunProcess(const ProcessSpec& spec);

}  // namespace otasim::target
