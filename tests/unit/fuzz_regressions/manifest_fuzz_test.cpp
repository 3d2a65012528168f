#define BOOST_TEST_MODULE fuzz_regressions_manifest
#include <boost/test/unit_test.hpp>

// tests/fuzz/regressions/manifest/ and tests/fuzz/corpus/manifest/ through the manifest fuzzer's entry point.
#include "fuzz/manifest_fuzzer.cpp"
#include "fuzz/replay.hpp"

OTASIM_FUZZ_REPLAY_TEST(manifest)
