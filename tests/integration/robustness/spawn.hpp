// Runs `otasim run` for the robustness tests without the test support's process-group kill, so
// that anything otasim leaves behind stays visible: each child carries a marker variable in its
// environment (inherited by the device and Mosquitto), and its TMPDIR is the test's.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/temp_dir.hpp"

namespace otasim::testing {

struct SpawnedRun {
  int exit_code = -1;  // -1: killed or timed out
  nlohmann::json report;  // report.json, or null
};

// `otasim run ARGS --out OUT`, with TMPDIR and the marker set for it and its children; killed
// (its process group) after `timeout`.
inline SpawnedRun SpawnOtasimRun(const std::vector<std::string>& args, const std::filesystem::path& out,
                                 const std::filesystem::path& tmpdir, const std::string& marker,
                                 std::chrono::seconds timeout = std::chrono::seconds(120)) {
  std::vector<std::string> argv = {std::string(OTASIM_BIN_DIR) + "/otasim", "run", "--quiet"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--out");
  argv.push_back(out.string());
  const std::filesystem::path log = out.string() + ".log";
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    setpgid(0, 0);
    setenv("TMPDIR", tmpdir.c_str(), 1);
    setenv("OTASIM_ROBUSTNESS_MARK", marker.c_str(), 1);
    FILE* sink = std::fopen(log.c_str(), "w");
    if (sink != nullptr) {
      dup2(fileno(sink), 1);
      dup2(fileno(sink), 2);
    }
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    execv(raw[0], raw.data());
    _exit(127);
  }
  SpawnedRun run;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      return run;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  std::ifstream in(out / "report.json");
  if (in) run.report = nlohmann::json::parse(in, nullptr, false);
  return run;
}

// Pids of live processes whose environment holds OTASIM_ROBUSTNESS_MARK=marker.
inline std::set<int> MarkedProcesses(const std::string& marker) {
  std::set<int> pids;
  const std::string needle = "OTASIM_ROBUSTNESS_MARK=" + marker;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string environ = Slurp(entry.path() / "environ");
    std::istringstream vars(environ);
    for (std::string var; std::getline(vars, var, '\0');) {
      if (var == needle) {
        pids.insert(std::stoi(name));
        break;
      }
    }
  }
  return pids;
}

// "proto local-address" of every listening TCP and bound UDP socket of this network namespace.
inline std::set<std::string> ListeningSockets() {
  std::set<std::string> sockets;
  for (const char* proto : {"tcp", "tcp6", "udp", "udp6"}) {
    std::istringstream lines(Slurp(std::string("/proc/net/") + proto));
    std::string line;
    std::getline(lines, line);  // header
    while (std::getline(lines, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      const bool tcp = proto[0] == 't';
      if ((tcp && state == "0A") || (!tcp && state == "07")) sockets.insert(std::string(proto) + " " + local);
    }
  }
  return sockets;
}

inline bool IsEmptyDir(const std::filesystem::path& dir) {
  return std::filesystem::is_empty(dir);
}

}  // namespace otasim::testing
