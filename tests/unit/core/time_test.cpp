#define BOOST_TEST_MODULE time
#include <boost/test/unit_test.hpp>

#include "otasim/time.hpp"

using namespace std::chrono;
using otasim::FormatRfc3339;
using otasim::ParseOffset;
using otasim::ParseRfc3339;
using otasim::SysTime;

namespace {
SysTime At(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
  return sys_days{year{y} / month{m} / day{d}} + hours{hh} + minutes{mm} + seconds{ss};
}
}  // namespace

BOOST_AUTO_TEST_SUITE(time_tests)

BOOST_AUTO_TEST_CASE(formats_utc_with_z) {
  BOOST_TEST(FormatRfc3339(At(2026, 11, 28, 6, 0, 0)) == "2026-11-28T06:00:00Z");
  BOOST_TEST(FormatRfc3339(At(1970, 1, 1, 0, 0, 0)) == "1970-01-01T00:00:00Z");
  BOOST_TEST(FormatRfc3339(At(2024, 2, 29, 23, 59, 59)) == "2024-02-29T23:59:59Z");
}

BOOST_AUTO_TEST_CASE(parses_what_it_formats) {
  const SysTime t = At(2031, 7, 4, 13, 5, 9);
  auto parsed = ParseRfc3339(FormatRfc3339(t));
  BOOST_REQUIRE(parsed.ok());
  BOOST_TEST(parsed->time_since_epoch().count() == t.time_since_epoch().count());
}

BOOST_AUTO_TEST_CASE(applies_offsets) {
  auto plus = ParseRfc3339("2026-11-28T08:30:00+02:30");
  BOOST_REQUIRE(plus.ok());
  BOOST_TEST(FormatRfc3339(*plus) == "2026-11-28T06:00:00Z");
  auto minus = ParseRfc3339("2026-11-27T23:00:00-07:00");
  BOOST_REQUIRE(minus.ok());
  BOOST_TEST(FormatRfc3339(*minus) == "2026-11-28T06:00:00Z");
}

BOOST_AUTO_TEST_CASE(drops_fractions) {
  auto t = ParseRfc3339("2026-11-28T06:00:00.999999Z");
  BOOST_REQUIRE(t.ok());
  BOOST_TEST(FormatRfc3339(*t) == "2026-11-28T06:00:00Z");
  BOOST_TEST(!ParseRfc3339("2026-11-28T06:00:00.Z").ok());
}

BOOST_AUTO_TEST_CASE(rejects_invalid_times) {
  for (const char* bad : {"", "2026-11-28", "2026-11-28T06:00:00", "2026-13-01T00:00:00Z",
                          "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2026-11-28T24:00:00Z",
                          "2026-11-28T06:60:00Z", "2026-11-28 06:00:00Z", "2026-11-28T06:00:00+0200",
                          "2026-11-28T06:00:00Zjunk", "26-11-28T06:00:00Z", "2026-1a-28T06:00:00Z",
                          "2026-11-28T06:00:00+24:00"}) {
    auto r = ParseRfc3339(bad);
    BOOST_TEST(!r.ok(), "accepted: " << bad);
    if (!r.ok()) BOOST_TEST((r.error().code() == otasim::Errc::kParse));
  }
}

BOOST_AUTO_TEST_CASE(parses_offsets) {
  BOOST_TEST(ParseOffset("+2d")->count() == 2 * 86400);
  BOOST_TEST(ParseOffset("-1h")->count() == -3600);
  BOOST_TEST(ParseOffset("30s")->count() == 30);
  BOOST_TEST(ParseOffset("90m")->count() == 90 * 60);
  BOOST_TEST(ParseOffset("0")->count() == 0);
  BOOST_TEST(ParseOffset("-0")->count() == 0);
}

BOOST_AUTO_TEST_CASE(rejects_bad_offsets) {
  for (const char* bad : {"", "+", "5", "1w", "h", "1.5h", "--1h", "+-1h", "1h ", "99999999999999999999s",
                          "9223372036854775807d"}) {
    BOOST_TEST(!ParseOffset(bad).ok(), "accepted: " << bad);
  }
}

BOOST_AUTO_TEST_CASE(now_is_recent) {
  const auto now = otasim::NowUtc();
  const auto system = floor<seconds>(system_clock::now());
  BOOST_TEST(std::abs((system - now).count()) <= 1);
}

BOOST_AUTO_TEST_SUITE_END()
