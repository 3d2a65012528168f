#define BOOST_TEST_MODULE fuzz_regressions_coap
#include <boost/test/unit_test.hpp>

// tests/fuzz/regressions/coap/ and tests/fuzz/corpus/coap/ through the coap fuzzer's entry point.
#include "fuzz/coap_fuzzer.cpp"
#include "fuzz/replay.hpp"

OTASIM_FUZZ_REPLAY_TEST(coap)
