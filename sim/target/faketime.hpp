// Running an OTA client at the device's clock: libfaketime, preloaded into the client and
// everything it starts, makes the config's "now" its wall clock. (otasim's own device reads
// "now" from its configuration; a stock client only has the system clock.)
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "otasim/result.hpp"

namespace otasim::target {

inline constexpr const char* kFaketimeLibrary = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

// LD_PRELOAD and FAKETIME ("@YYYY-MM-DD HH:MM:SS", UTC: the clock starts there and runs on)
// for a child started at `now_rfc3339`. kUnsupported when libfaketime is not installed;
// kInvalidArgument when `now_rfc3339` is not an RFC 3339 instant.
Result<std::map<std::string, std::string>> FaketimeEnvironment(
    const std::string& now_rfc3339,
    const std::filesystem::path& library = kFaketimeLibrary);

}  // namespace otasim::target
