// Wall-clock instants as RFC 3339 text ("2026-11-28T06:00:00Z"), and relative offsets ("+2d", "-1h").
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "otasim/result.hpp"

namespace otasim {

using SysTime = std::chrono::sys_seconds;

std::string FormatRfc3339(SysTime t);  // always UTC, "Z"
// Accepts "YYYY-MM-DDTHH:MM:SS" with optional fraction, and "Z" or "+HH:MM"/"-HH:MM".
Result<SysTime> ParseRfc3339(std::string_view text);
// "+30s", "-1h", "2d", "90m", "0": seconds (s), minutes (m), hours (h), days (d).
Result<std::chrono::seconds> ParseOffset(std::string_view text);

SysTime NowUtc();

}  // namespace otasim
