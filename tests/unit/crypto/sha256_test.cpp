#define BOOST_TEST_MODULE sha256
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <random>

#include "otasim/crypto.hpp"
#include "support/temp_dir.hpp"

namespace c = otasim::crypto;
namespace fs = std::filesystem;
using otasim::testing::TempDir;

namespace {

constexpr const char* kEmptyHex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr const char* kAbcHex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
// FIPS 180-2 two-block message.
constexpr const char* kTwoBlock = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
constexpr const char* kTwoBlockHex = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";

std::string Pattern(std::size_t n) {
  std::mt19937 rng(42);
  std::string s(n, '\0');
  for (auto& ch : s) ch = static_cast<char>(rng());
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sha256_tests)

BOOST_AUTO_TEST_CASE(known_answers) {
  BOOST_TEST(c::HexEncode(c::Sha256::Of({})) == kEmptyHex);
  BOOST_TEST(c::HexEncode(c::Sha256::Of(c::AsBytes("abc"))) == kAbcHex);
  BOOST_TEST(c::HexEncode(c::Sha256::Of(c::AsBytes(kTwoBlock))) == kTwoBlockHex);
}

BOOST_AUTO_TEST_CASE(streaming_equals_one_shot) {
  const std::string data = Pattern(200003);
  const auto expected = c::Sha256::Of(c::AsBytes(data));
  for (std::size_t chunk : {1u, 3u, 63u, 64u, 65u, 4097u, 65536u, 99999u}) {
    c::Sha256 hash;
    for (std::size_t pos = 0; pos < data.size(); pos += chunk) {
      hash.Update(c::AsBytes(std::string_view(data).substr(pos, chunk)));
    }
    BOOST_TEST((hash.Final() == expected), "chunk " << chunk);
  }
}

BOOST_AUTO_TEST_CASE(streaming_abc_byte_by_byte_and_empty_updates) {
  c::Sha256 hash;
  hash.Update({});
  hash.Update(c::AsBytes("a"));
  hash.Update({});
  hash.Update(c::AsBytes("bc"));
  BOOST_TEST(c::HexEncode(hash.Final()) == kAbcHex);
}

BOOST_AUTO_TEST_CASE(move_keeps_state) {
  c::Sha256 a;
  a.Update(c::AsBytes("ab"));
  c::Sha256 b(std::move(a));
  b.Update(c::AsBytes("c"));
  BOOST_TEST(c::HexEncode(b.Final()) == kAbcHex);
  c::Sha256 d;
  c::Sha256 e;
  e.Update(c::AsBytes("abc"));
  d = std::move(e);
  BOOST_TEST(c::HexEncode(d.Final()) == kAbcHex);
}

BOOST_AUTO_TEST_CASE(file_hash_matches_memory_hash) {
  const std::string data = Pattern(3 * 65536 + 17);  // several chunks plus a tail
  TempDir temp("otasim-sha-test");
  const fs::path file = temp.Write("data", data);
  auto hex = c::Sha256FileHex(file);
  BOOST_REQUIRE(hex.ok());
  BOOST_TEST(*hex == c::HexEncode(c::Sha256::Of(c::AsBytes(data))));
  auto prefix = c::Sha256FileHex(file, 70000);
  BOOST_REQUIRE(prefix.ok());
  BOOST_TEST(*prefix == c::HexEncode(c::Sha256::Of(c::AsBytes(std::string_view(data).substr(0, 70000)))));
  BOOST_TEST(*c::Sha256FileHex(file, 0) == kEmptyHex);
}

BOOST_AUTO_TEST_CASE(file_hash_of_missing_file_fails) {
  auto r = c::Sha256FileHex("/nonexistent/otasim/file");
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().message().find("/nonexistent/otasim/file") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
