// The device's status report of targets/PROTOCOL.md: the same JSON over every protocol.
#pragma once

#include <string_view>

#include "otasim/result.hpp"
#include "otasim/session.hpp"

namespace otasim::servers {

// Only `result` is required; `reason`, `version`, `device_id` (strings), `sequence` (unsigned)
// and `code` (int) are type-checked when present, because a device may leave out what it
// doesn't know. kParse names the offending field.
Result<StatusReport> ParseStatusReport(std::string_view payload);

}  // namespace otasim::servers
