#define BOOST_TEST_MODULE fuzz_regressions_mqtt
#include <boost/test/unit_test.hpp>

// tests/fuzz/regressions/mqtt/ and tests/fuzz/corpus/mqtt/ through the mqtt fuzzer's entry point.
#include "fuzz/mqtt_fuzzer.cpp"
#include "fuzz/replay.hpp"

OTASIM_FUZZ_REPLAY_TEST(mqtt)
