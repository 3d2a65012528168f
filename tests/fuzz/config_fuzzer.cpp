// Fuzzes the YAML configuration parsers: the same text as a scenario, a suite and a target
// profile (sim/scenario/scenario_loader.cpp, yaml_reader.cpp, sim/target/profile.cpp). The
// loaders read files, so the text goes into an in-memory file (memfd) read by its /proc path.
// No registry or catalogue is given: plugin ids and requirement ids are not checked.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "scenario/loader.hpp"
#include "target/profile.hpp"

namespace {

// One memfd for the whole process, rewritten for each input.
const std::string& InputPath() {
  static const std::string path = [] {
    const int fd = memfd_create("fuzz-input.yaml", 0);
    if (fd < 0) std::abort();
    return "/proc/self/fd/" + std::to_string(fd);
  }();
  return path;
}

void WriteInput(const std::uint8_t* data, std::size_t size) {
  const int fd = std::stoi(InputPath().substr(std::string("/proc/self/fd/").size()));
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  WriteInput(data, size);
  const std::filesystem::path path = InputPath();
  const otasim::scenario::ValidationContext context;  // no registry, catalogue or library root
  (void)otasim::scenario::LoadScenario(path, context);
  (void)otasim::scenario::LoadSuite(path);
  (void)otasim::target::LoadTargetProfile(path);
  return 0;
}
