#define BOOST_TEST_MODULE fuzz_regressions_config
#include <boost/test/unit_test.hpp>

// tests/fuzz/regressions/config/ and tests/fuzz/corpus/config/ through the config fuzzer's entry point.
#include "fuzz/config_fuzzer.cpp"
#include "fuzz/replay.hpp"

OTASIM_FUZZ_REPLAY_TEST(config)
