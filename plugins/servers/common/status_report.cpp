#include "common/status_report.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace otasim::servers {

Result<StatusReport> ParseStatusReport(std::string_view payload) {
  auto json = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return MakeError(Errc::kParse, "status report is not a JSON object");
  }
  auto string_field = [&](const char* name, std::string& out, bool required) -> Status {
    auto it = json.find(name);
    if (it == json.end()) {
      if (required) return MakeError(Errc::kParse, std::string("missing \"") + name + "\"");
      return {};
    }
    if (!it->is_string()) return MakeError(Errc::kParse, std::string(name) + ": not a string");
    out = it->get<std::string>();
    return {};
  };
  StatusReport report;
  std::string device_id;
  OTASIM_CHECK(string_field("result", report.result, true));
  OTASIM_CHECK(string_field("reason", report.reason, false));
  OTASIM_CHECK(string_field("version", report.version, false));
  OTASIM_CHECK(string_field("device_id", device_id, false));
  if (auto it = json.find("sequence"); it != json.end()) {
    if (!it->is_number_unsigned()) {
      return MakeError(Errc::kParse, "sequence: not an unsigned integer");
    }
    report.sequence = it->get<std::uint64_t>();
  }
  if (auto it = json.find("code"); it != json.end()) {
    // An unsigned value above INT64_MAX would wrap to a negative int64: compare it unsigned.
    const bool fits =
        it->is_number_unsigned()
            ? it->get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<int>::max())
            : it->is_number_integer() && it->get<std::int64_t>() >= std::numeric_limits<int>::min() &&
                  it->get<std::int64_t>() <= std::numeric_limits<int>::max();
    if (!fits) {
      return MakeError(Errc::kParse, "code: not an integer");
    }
    report.code = static_cast<int>(it->get<std::int64_t>());
  }
  report.raw = std::move(json);
  return report;
}

}  // namespace otasim::servers
