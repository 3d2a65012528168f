#define BOOST_TEST_MODULE target_process
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "target/process.hpp"
#include "support/temp_dir.hpp"

using namespace otasim;
using namespace otasim::target;
namespace fs = std::filesystem;
using otasim::testing::TempDir;
using otasim::testing::Slurp;
using namespace std::chrono_literals;

namespace {

ProcessSpec Shell(const std::string& script, const TempDir& temp,
                  std::chrono::milliseconds timeout = 10s) {
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.stdout_file = temp.path() / "stdout";
  spec.stderr_file = temp.path() / "stderr";
  spec.timeout = timeout;
  return spec;
}

ProcessResult Run(const ProcessSpec& spec) {
  auto result = RunProcess(spec);
  BOOST_REQUIRE_MESSAGE(result.ok(), (result.ok() ? "" : result.error().What()));
  BOOST_TEST_MESSAGE(result->Describe());
  return *result;
}

// Reads the pid a script wrote (before it exited or was killed).
pid_t ReadPid(const fs::path& file) {
  std::string text = Slurp(file);
  BOOST_REQUIRE_MESSAGE(!text.empty(), "no pid in " << file);
  return static_cast<pid_t>(std::stol(text));
}

// This test process adopts orphans (as a subreaper), so a grandchild that the harness killed
// can be reaped here and seen to be gone rather than lingering as a zombie of init.
// True when `pid` ended by SIGKILL within `within`.
bool ReapedKilled(pid_t pid, std::chrono::milliseconds within) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    if (r < 0) return false;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

// If the harness failed to kill it, do not leave it behind: kill and reap it here.
void KillLeftover(pid_t pid) {
  if (::kill(pid, SIGKILL) == 0) waitpid(pid, nullptr, 0);
}

struct Subreaper {
  Subreaper() { BOOST_REQUIRE(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0); }
  ~Subreaper() { prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(process_tests)

BOOST_AUTO_TEST_CASE(exit_code_is_captured) {
  TempDir temp("otasim-process");
  auto r = Run(Shell("exit 20", temp));
  BOOST_TEST(r.exited);
  BOOST_TEST(r.exit_code == 20);
  BOOST_TEST(r.signal == 0);
  BOOST_TEST(!r.timed_out);
  BOOST_TEST(r.Describe() == "exit 20");
  auto ok = Run(Shell("true", temp));
  BOOST_TEST(ok.exited);
  BOOST_TEST(ok.exit_code == 0);
}

BOOST_AUTO_TEST_CASE(stdout_and_stderr_go_to_their_files_truncated) {
  TempDir temp("otasim-process");
  std::ofstream(temp.path() / "stdout") << std::string(10000, 'x');
  auto r = Run(Shell("echo to-out; echo to-err >&2; echo more-out", temp));
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(Slurp(temp.path() / "stdout") == "to-out\nmore-out\n");
  BOOST_TEST(Slurp(temp.path() / "stderr") == "to-err\n");
}

BOOST_AUTO_TEST_CASE(stdin_is_empty) {
  TempDir temp("otasim-process");
  auto r = Run(Shell("cat; echo done", temp, 5s));
  BOOST_TEST(!r.timed_out);
  BOOST_TEST(Slurp(temp.path() / "stdout") == "done\n");
}

BOOST_AUTO_TEST_CASE(without_output_files_output_is_discarded) {
  TempDir temp("otasim-process");
  ProcessSpec spec = Shell("echo hi; exit 3", temp);
  spec.stdout_file.clear();
  spec.stderr_file.clear();
  auto r = Run(spec);
  BOOST_TEST(r.exit_code == 3);
  BOOST_TEST(!fs::exists(temp.path() / "stdout"));
}

BOOST_AUTO_TEST_CASE(extra_env_is_visible_and_overrides) {
  TempDir temp("otasim-process");
  ::setenv("OTASIM_TEST_INHERITED", "from-parent", 1);
  ::setenv("OTASIM_TEST_OVERRIDE", "old", 1);
  ProcessSpec spec = Shell(
      "printf '%s|%s|%s' \"$OTASIM_TEST_VAR\" \"$OTASIM_TEST_INHERITED\" \"$OTASIM_TEST_OVERRIDE\"; "
      "env | grep -c '^OTASIM_TEST_OVERRIDE=' >&2",
      temp);
  spec.extra_env = {{"OTASIM_TEST_VAR", "hello world"}, {"OTASIM_TEST_OVERRIDE", "new"}};
  auto r = Run(spec);
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(Slurp(temp.path() / "stdout") == "hello world|from-parent|new");
  BOOST_TEST(Slurp(temp.path() / "stderr") == "1\n");  // one definition, not two
  ::unsetenv("OTASIM_TEST_INHERITED");
  ::unsetenv("OTASIM_TEST_OVERRIDE");
}

BOOST_AUTO_TEST_CASE(a_signal_is_reported) {
  TempDir temp("otasim-process");
  auto r = Run(Shell("kill -TERM $$; sleep 5", temp));
  BOOST_TEST(!r.exited);
  BOOST_TEST(!r.timed_out);
  BOOST_TEST(r.signal == SIGTERM);
  BOOST_TEST(r.Describe().rfind("killed by signal 15", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(a_sleeping_process_is_killed_at_the_deadline) {
  TempDir temp("otasim-process");
  const auto start = std::chrono::steady_clock::now();
  auto r = Run(Shell("sleep 30", temp, 300ms));
  const auto took = std::chrono::steady_clock::now() - start;
  BOOST_TEST(r.timed_out);
  BOOST_TEST(!r.exited);
  BOOST_TEST(r.signal == SIGKILL);
  BOOST_TEST(r.duration_ms >= 300);
  BOOST_TEST((took < 10s));  // returned, well before the 30 s sleep
  BOOST_TEST(r.Describe().find("timed out") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_process_that_ignores_sigterm_is_still_killed) {
  TempDir temp("otasim-process");
  const auto start = std::chrono::steady_clock::now();
  auto r = Run(Shell("trap '' TERM INT HUP; while :; do sleep 1; done", temp, 300ms));
  BOOST_TEST(r.timed_out);
  BOOST_TEST((std::chrono::steady_clock::now() - start < 10s));
}

BOOST_AUTO_TEST_CASE(a_missing_program_is_an_error) {
  TempDir temp("otasim-process");
  ProcessSpec spec;
  spec.argv = {(temp.path() / "no-such-program").string()};
  auto r = RunProcess(spec);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST((r.error().code() == Errc::kIo));
  BOOST_TEST(r.error().message().find("no-such-program") != std::string::npos);

  ProcessSpec empty;
  auto none = RunProcess(empty);
  BOOST_REQUIRE(!none.ok());
  BOOST_TEST((none.error().code() == Errc::kInvalidArgument));
}

BOOST_AUTO_TEST_CASE(a_grandchild_left_behind_is_killed) {
  Subreaper subreaper;
  TempDir temp("otasim-process");
  const fs::path pid_file = temp.path() / "grandchild.pid";
  // The child forks a grandchild that sleeps "forever" and exits at once.
  const auto start = std::chrono::steady_clock::now();
  auto r = Run(Shell("sleep 1000 & echo $! > '" + pid_file.string() + "'; exit 4", temp, 20s));
  BOOST_TEST((std::chrono::steady_clock::now() - start < 10s));
  BOOST_TEST(r.exited);
  BOOST_TEST(r.exit_code == 4);
  const pid_t grandchild = ReadPid(pid_file);
  BOOST_TEST(ReapedKilled(grandchild, 5s));
  BOOST_TEST((::kill(grandchild, 0) == -1 && errno == ESRCH));
  KillLeftover(grandchild);
}

BOOST_AUTO_TEST_CASE(a_grandchild_does_not_keep_the_call_past_the_deadline) {
  Subreaper subreaper;
  TempDir temp("otasim-process");
  const fs::path pid_file = temp.path() / "grandchild.pid";
  // The child waits for its grandchild, which sleeps "forever".
  const auto start = std::chrono::steady_clock::now();
  auto r = Run(Shell("sleep 1000 & echo $! > '" + pid_file.string() + "'; wait", temp, 500ms));
  BOOST_TEST((std::chrono::steady_clock::now() - start < 10s));
  BOOST_TEST(r.timed_out);
  const pid_t grandchild = ReadPid(pid_file);
  BOOST_TEST(ReapedKilled(grandchild, 5s));
  BOOST_TEST((::kill(grandchild, 0) == -1 && errno == ESRCH));
  KillLeftover(grandchild);
}

BOOST_AUTO_TEST_SUITE_END()
