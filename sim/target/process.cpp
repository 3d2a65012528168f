#include "target/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace otasim::target {

std::string ProcessResult::Describe() const {
  if (timed_out) return "timed out after " + std::to_string(duration_ms) + " ms (killed)";
  if (stopped) return "stopped by otasim after " + std::to_string(duration_ms) + " ms";
  if (exited) return "exit " + std::to_string(exit_code);
  return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
}

namespace {

// Waits until the child has exited, without reaping it: while the leader is an unreaped
// zombie its process-group id cannot be reused, so killing the group afterwards is safe.
bool WaitForExit(pid_t pid, std::chrono::steady_clock::time_point deadline) {
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  bool exited = false;
  while (true) {
    siginfo_t info{};
    const int r = waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
    if ((r == 0 && info.si_pid == pid) || (r < 0 && errno != EINTR)) {
      exited = true;
      break;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    if (pidfd >= 0) {
      pollfd fd{pidfd, POLLIN, 0};
      poll(&fd, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 1000)));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  if (pidfd >= 0) close(pidfd);
  return exited;
}

}  // namespace

Result<ProcessResult> RunProcess(const ProcessSpec& spec) {
  if (spec.argv.empty()) return MakeError(Errc::kInvalidArgument, "no program to run");
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    if (!spec.extra_env.count(name)) env_strings.push_back(entry);
  }
  for (const auto& [name, value] : spec.extra_env) env_strings.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = spec.argv;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  const std::string out = spec.stdout_file.empty() ? "/dev/null" : spec.stdout_file.string();
  const std::string err = spec.stderr_file.empty() ? "/dev/null" : spec.stderr_file.string();
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  // Nothing else of otasim's: Asio's sockets are not close-on-exec, and a daemon the device
  // starts (a remote device's reset command) would keep the session's server port bound.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);  // its own group, so a kill reaches its children too
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);

  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return MakeError(Errc::kIo, "cannot start " + spec.argv[0] + ": " + std::strerror(rc));
  }

  ProcessResult result;
  auto deadline = start + spec.timeout;
  if (spec.stop_when) {
    // A daemon: look at the condition every 100 ms until it exits, holds, or time runs out.
    bool exited = false;
    while (!exited && std::chrono::steady_clock::now() < deadline) {
      exited = WaitForExit(pid, std::min(deadline, std::chrono::steady_clock::now() +
                                                       std::chrono::milliseconds(100)));
      if (!exited && spec.stop_when()) {
        result.stopped = true;
        break;
      }
    }
    if (!exited) {
      result.timed_out = !result.stopped;
      kill(-pid, SIGTERM);
      exited = WaitForExit(pid, std::chrono::steady_clock::now() + spec.stop_grace);
      deadline = std::chrono::steady_clock::now();  // still running: SIGKILL now
    }
  }
  if (!WaitForExit(pid, deadline)) {
    result.timed_out = !result.stopped;
    kill(-pid, SIGKILL);
    // SIGKILL cannot be ignored, so this wait is short; bound it anyway.
    if (!WaitForExit(pid, std::chrono::steady_clock::now() + std::chrono::seconds(10))) {
      return MakeError(Errc::kInternal, "process " + std::to_string(pid) + " survived SIGKILL");
    }
  }
  kill(-pid, SIGKILL);  // leave no child of the device behind
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - start).count();
  if (WIFEXITED(status)) {
    result.exited = !result.timed_out;
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

}  // namespace otasim::target
