#define BOOST_TEST_MODULE fuzz_regressions_http
#include <boost/test/unit_test.hpp>

// tests/fuzz/regressions/http/ and tests/fuzz/corpus/http/ through the http fuzzer's entry point.
#include "fuzz/http_fuzzer.cpp"
#include "fuzz/replay.hpp"

OTASIM_FUZZ_REPLAY_TEST(http)
