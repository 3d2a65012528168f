// RFC 3339 instants and relative offsets, parsed by hand: std::chrono::parse is not in g++ 12.
#include "otasim/time.hpp"

#include <charconv>
#include <cstdio>
#include <limits>

namespace otasim {
namespace {

using namespace std::chrono;

// Reads exactly `width` digits at `pos`.
bool ReadDigits(std::string_view text, std::size_t pos, std::size_t width, int& out) {
  if (pos + width > text.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

bool Expect(std::string_view text, std::size_t pos, char c) {
  return pos < text.size() && text[pos] == c;
}

Error BadTime(std::string_view text, std::string_view why) {
  return Error(Errc::kParse, "invalid RFC 3339 time '" + std::string(text) + "': " + std::string(why));
}

}  // namespace

std::string FormatRfc3339(SysTime t) {
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buffer;
}

Result<SysTime> ParseRfc3339(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(text, 0, 4, year) || !Expect(text, 4, '-') || !ReadDigits(text, 5, 2, month) ||
      !Expect(text, 7, '-') || !ReadDigits(text, 8, 2, day)) {
    return BadTime(text, "expected YYYY-MM-DD");
  }
  if (!(Expect(text, 10, 'T') || Expect(text, 10, 't'))) return BadTime(text, "expected 'T'");
  if (!ReadDigits(text, 11, 2, hour) || !Expect(text, 13, ':') || !ReadDigits(text, 14, 2, minute) ||
      !Expect(text, 16, ':') || !ReadDigits(text, 17, 2, second)) {
    return BadTime(text, "expected HH:MM:SS");
  }
  const year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                           std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return BadTime(text, "no such date");
  // Second 60 is a leap second, which RFC 3339 allows; it lands on the next second.
  if (hour > 23 || minute > 59 || second > 60) return BadTime(text, "time of day out of range");

  std::size_t pos = 19;
  if (Expect(text, pos, '.')) {  // fraction: at least one digit, dropped (whole seconds)
    ++pos;
    std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == start) return BadTime(text, "empty fraction");
  }

  seconds offset{0};
  if (Expect(text, pos, 'Z') || Expect(text, pos, 'z')) {
    ++pos;
  } else if (Expect(text, pos, '+') || Expect(text, pos, '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    int off_h = 0, off_m = 0;
    if (!ReadDigits(text, pos + 1, 2, off_h) || !Expect(text, pos + 3, ':') ||
        !ReadDigits(text, pos + 4, 2, off_m) || off_h > 23 || off_m > 59) {
      return BadTime(text, "bad offset, expected +HH:MM");
    }
    offset = sign * (hours{off_h} + minutes{off_m});
    pos += 6;
  } else {
    return BadTime(text, "missing 'Z' or offset");
  }
  if (pos != text.size()) return BadTime(text, "trailing characters");

  // Local time minus its offset is UTC.
  const SysTime local = sys_days{ymd} + hours{hour} + minutes{minute} + seconds{second};
  return local - offset;
}

Result<std::chrono::seconds> ParseOffset(std::string_view text) {
  const std::string original(text);
  auto bad = [&](std::string_view why) {
    return Error(Errc::kParse, "invalid offset '" + original + "': " + std::string(why) +
                                   " (examples: +30s, -1h, 2d, 90m, 0)");
  };
  if (text.empty()) return bad("empty");
  std::int64_t sign = 1;
  if (text.front() == '+' || text.front() == '-') {
    sign = text.front() == '-' ? -1 : 1;
    text.remove_prefix(1);
  }
  std::int64_t count = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), count);
  if (ec != std::errc() || end == text.data() || count < 0) return bad("expected a number");
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  std::int64_t scale = 0;
  if (unit == "s") scale = 1;
  else if (unit == "m") scale = 60;
  else if (unit == "h") scale = 3600;
  else if (unit == "d") scale = 86400;
  else if (unit.empty() && count == 0) scale = 1;
  else return bad("expected a unit s, m, h or d");
  if (count > std::numeric_limits<std::int64_t>::max() / scale) return bad("too large");
  return std::chrono::seconds{sign * count * scale};
}

SysTime NowUtc() { return floor<seconds>(system_clock::now()); }

}  // namespace otasim
