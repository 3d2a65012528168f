// Exit codes of the target contract (targets/PROTOCOL.md).
#pragma once

namespace otasim::device {

inline constexpr int kExitOk = 0;         // check: installed; boot: a valid image runs
inline constexpr int kExitBricked = 1;    // boot: no valid image
inline constexpr int kExitUsage = 2;      // bad usage or configuration
inline constexpr int kExitError = 3;      // anything else (storage, internal)
inline constexpr int kExitNoUpdate = 10;  // check: nothing newer offered
inline constexpr int kExitRejected = 20;  // check: refused for a security reason
inline constexpr int kExitFailed = 30;    // check: could not complete, retry later

}  // namespace otasim::device
