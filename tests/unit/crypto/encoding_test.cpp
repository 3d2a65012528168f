#define BOOST_TEST_MODULE encoding
#include <boost/test/unit_test.hpp>

#include "otasim/crypto.hpp"

namespace c = otasim::crypto;

namespace {
std::string Str(const c::Bytes& b) { return std::string(b.begin(), b.end()); }
}  // namespace

BOOST_AUTO_TEST_SUITE(encoding_tests)

BOOST_AUTO_TEST_CASE(hex_round_trip) {
  const c::Bytes all = [] {
    c::Bytes b;
    for (int i = 0; i < 256; ++i) b.push_back(static_cast<std::uint8_t>(i));
    return b;
  }();
  const std::string hex = c::HexEncode(all);
  BOOST_TEST(hex.size() == 512u);
  BOOST_TEST(hex.substr(0, 8) == "00010203");
  BOOST_TEST(hex.substr(504) == "fcfdfeff");
  auto back = c::HexDecode(hex);
  BOOST_REQUIRE(back.ok());
  BOOST_TEST((*back == all));
  BOOST_TEST((*c::HexDecode("DEADbeef") == c::Bytes{0xde, 0xad, 0xbe, 0xef}));
  BOOST_TEST(c::HexDecode("")->empty());
}

BOOST_AUTO_TEST_CASE(hex_rejects_garbage) {
  for (const char* bad : {"0", "abc", "0g", "zz", " 00", "00 ", "0x00"}) {
    BOOST_TEST(!c::HexDecode(bad).ok(), "accepted: " << bad);
  }
}

BOOST_AUTO_TEST_CASE(base64_rfc4648_vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    BOOST_TEST(c::Base64Encode(c::AsBytes(plain)) == encoded);
    auto decoded = c::Base64Decode(encoded);
    BOOST_REQUIRE(decoded.ok());
    BOOST_TEST(Str(*decoded) == plain);
  }
  BOOST_TEST(c::Base64Encode(c::Bytes{0xfb, 0xff}) == "+/8=");
}

BOOST_AUTO_TEST_CASE(base64_is_strict) {
  for (const char* bad : {"Zg", "Zg=", "Zg===", "Z===", "====", "Zm9v\n", " Zm9v", "Zm9v YmFy", "Zm-v",
                          "Zm_v", "Zm=v", "Z=g=", "Zh==", "Zm9=", "Zm8=Zm8=", "@@@@"}) {
    auto r = c::Base64Decode(bad);
    BOOST_TEST(!r.ok(), "accepted: " << bad);
    if (!r.ok()) BOOST_TEST((r.error().code() == otasim::Errc::kParse));
  }
}

BOOST_AUTO_TEST_CASE(base64_round_trips_every_length) {
  c::Bytes data;
  for (int n = 0; n < 100; ++n) {
    auto back = c::Base64Decode(c::Base64Encode(data));
    BOOST_REQUIRE(back.ok());
    BOOST_TEST((*back == data));
    data.push_back(static_cast<std::uint8_t>(n * 37 + 11));
  }
}

BOOST_AUTO_TEST_SUITE_END()
