#define BOOST_TEST_MODULE proxy_stream_edit
#include <boost/test/unit_test.hpp>

#include "stream_edit.hpp"

using otasim::proxy::StreamEdit;

namespace {

// Feeds `input` in pieces of `piece` bytes and returns everything that came out.
std::string Run(StreamEdit& edit, const std::string& input, std::size_t piece) {
  std::string out;
  for (std::size_t at = 0; at < input.size(); at += piece) out += edit.Feed(input.substr(at, piece));
  return out + edit.Flush();
}

}  // namespace

BOOST_AUTO_TEST_CASE(replaces_every_occurrence_whatever_the_chunking) {
  const std::string input = "version 1.0.0 and 1.0.0 again, 1.0.";
  for (std::size_t piece : {1u, 2u, 3u, 5u, 7u, 64u}) {
    StreamEdit edit("1.0.0", "9.9.9");
    BOOST_TEST(Run(edit, input, piece) == "version 9.9.9 and 9.9.9 again, 1.0.");
    BOOST_TEST(edit.applied() == 2u);
  }
}

BOOST_AUTO_TEST_CASE(holds_back_only_a_possible_match_start) {
  StreamEdit edit("abc", "X");
  BOOST_TEST(edit.Feed("zzab") == "zz");  // "ab" may become "abc"
  BOOST_TEST(edit.Feed("d") == "abd");    // it did not
  BOOST_TEST(edit.Feed("xyz") == "xyz");  // nothing held when no prefix matches
  BOOST_TEST(edit.Flush().empty());
  BOOST_TEST(edit.applied() == 0u);
}

BOOST_AUTO_TEST_CASE(replacement_may_change_the_length_and_is_not_re_matched) {
  StreamEdit edit("a", "aa");
  BOOST_TEST(Run(edit, "banana", 2) == "baanaanaa");
  BOOST_TEST(edit.applied() == 3u);
}

BOOST_AUTO_TEST_CASE(empty_find_passes_bytes_through) {
  StreamEdit edit("", "x");
  BOOST_TEST(edit.Feed("hello") == "hello");
  BOOST_TEST(edit.Flush().empty());
}
