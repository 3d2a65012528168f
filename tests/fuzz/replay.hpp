// Replays fuzzer inputs through a fuzzer's own entry point in the ordinary (gcc, Boost.Test)
// build, so that inputs which once crashed keep being checked without clang. A crash still
// crashes the test; what the test asserts is that every input returns 0.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace otasim::testing {

// Every regular file of tests/fuzz/<folder>/<name>/, sorted; missing folder: none.
inline std::vector<std::filesystem::path> FuzzInputs(const std::string& folder,
                                                     const std::string& name) {
  std::vector<std::filesystem::path> files;
  const auto dir = std::filesystem::path(OTASIM_SOURCE_DIR) / "tests/fuzz" / folder / name;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

inline int ReplayFuzzInput(const std::filesystem::path& file) {
  const std::string bytes = Slurp(file);
  return LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace otasim::testing

// One test case per fuzzer: its regression inputs, then its seed corpus (which must not crash
// either, and shows that the entry point works when there are no regressions yet).
#define OTASIM_FUZZ_REPLAY_TEST(name)                                                     \
  BOOST_AUTO_TEST_CASE(name##_regressions_and_corpus_replay_cleanly) {                    \
    const auto regressions = otasim::testing::FuzzInputs("regressions", #name);           \
    const auto corpus = otasim::testing::FuzzInputs("corpus", #name);                     \
    BOOST_TEST(!corpus.empty(), "tests/fuzz/corpus/" #name " has no seed");                \
    for (const auto& files : {regressions, corpus}) {                                     \
      for (const auto& file : files) {                                                    \
        BOOST_TEST_CONTEXT(file.string()) {                                               \
          BOOST_TEST(otasim::testing::ReplayFuzzInput(file) == 0);                        \
        }                                                                                 \
      }                                                                                   \
    }                                                                                     \
  }
