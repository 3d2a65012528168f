#include "target/faketime.hpp"

#include "otasim/time.hpp"

namespace otasim::target {

Result<std::map<std::string, std::string>> FaketimeEnvironment(
    const std::string& now_rfc3339, const std::filesystem::path& library) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(library, ec)) {
    return MakeError(Errc::kUnsupported, "clock: faketime needs libfaketime (" + library.string() +
                                             " is missing; install the libfaketime package)");
  }
  auto now = ParseRfc3339(now_rfc3339);
  if (!now) {
    return MakeError(Errc::kInvalidArgument,
                     "clock: faketime: the device's now '" + now_rfc3339 + "' is not RFC 3339");
  }
  // libfaketime reads the absolute start time as UTC, whatever TZ the client has.
  const std::string start = FormatRfc3339(*now);  // "2026-11-28T06:00:00Z"
  return std::map<std::string, std::string>{
      {"LD_PRELOAD", library.string()},
      {"FAKETIME", "@" + start.substr(0, 10) + " " + start.substr(11, 8)},
      // Without this libfaketime would also fake the monotonic clocks that the client's
      // timeouts rely on (they would then start near the faked epoch).
      {"FAKETIME_DONT_FAKE_MONOTONIC", "1"}};
}

}  // namespace otasim::target
