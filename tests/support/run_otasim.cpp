#include "support/run_otasim.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/temp_dir.hpp"
#include "target/process.hpp"

namespace otasim::testing {

namespace {

std::filesystem::path TestWorkDir() {
  auto dir = std::filesystem::path(OTASIM_TEST_BIN_DIR) / "work" / std::to_string(getpid());
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

OtasimRun RunOtasimCommand(const std::vector<std::string>& args, int timeout_seconds) {
  const auto dir = TestWorkDir();
  target::ProcessSpec spec;
  spec.argv.push_back(std::string(OTASIM_BIN_DIR) + "/otasim");
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.stdout_file = dir / "otasim.out";
  spec.stderr_file = dir / "otasim.err";
  spec.timeout = std::chrono::seconds(timeout_seconds);
  OtasimRun run;
  auto result = target::RunProcess(spec);
  if (!result) {
    run.output = result.error().message();
    return run;
  }
  run.exit_code = result->exited ? result->exit_code : -1;
  run.output = Slurp(spec.stdout_file) + Slurp(spec.stderr_file);
  if (result->timed_out) run.output += "\n(otasim timed out and was killed)";
  return run;
}

OtasimRun RunOtasim(const std::vector<std::string>& args, const std::string& name) {
  const auto out = TestWorkDir() / name;
  std::filesystem::remove_all(out);
  std::vector<std::string> full = {"run"};
  full.insert(full.end(), args.begin(), args.end());
  full.push_back("--out");
  full.push_back(out.string());
  OtasimRun run = RunOtasimCommand(full, 600);
  run.out_dir = out.string();
  std::ifstream in(out / "report.json");
  if (in) {
    try {
      run.report = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception&) {
      run.report = nullptr;
    }
  }
  return run;
}

}  // namespace otasim::testing
