#include "strict_json.hpp"

#include <algorithm>
#include <set>
#include <vector>

namespace otasim::manifest {

ManifestError Malformed(std::string detail) { return {Failure::kMalformed, std::move(detail)}; }

std::string JsonTypeName(const nlohmann::json& value) { return value.type_name(); }

std::optional<ManifestError> RejectUnknown(const nlohmann::json& object,
                                           std::span<const std::string_view> known,
                                           const std::string& prefix) {
  for (const auto& [key, value] : object.items()) {
    (void)value;
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return Malformed(prefix + key + ": unknown field");
    }
  }
  return std::nullopt;
}

ManifestResult<nlohmann::json> ParseStrictJson(std::string_view text, std::string_view what) {
  using Json = nlohmann::json;
  if (text.size() > kMaxEnvelopeBytes) {
    return Malformed(std::string(what) + ": " + std::to_string(text.size()) +
                     " bytes exceeds the limit of " + std::to_string(kMaxEnvelopeBytes));
  }
  std::vector<std::set<std::string>> keys_per_object;
  std::string duplicate;
  auto callback = [&](int /*depth*/, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start: keys_per_object.emplace_back(); break;
      case Json::parse_event_t::object_end:
        if (!keys_per_object.empty()) keys_per_object.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!keys_per_object.empty() && parsed.is_string() &&
            !keys_per_object.back().insert(parsed.get<std::string>()).second && duplicate.empty()) {
          duplicate = parsed.get<std::string>();
        }
        break;
      default: break;
    }
    return true;
  };
  try {
    Json value = Json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/true,
                             /*ignore_comments=*/false);
    if (!duplicate.empty()) {
      return Malformed(std::string(what) + ": duplicate key '" + duplicate + "'");
    }
    return value;
  } catch (const Json::exception& e) {
    return Malformed(std::string(what) + ": not valid JSON (" + e.what() + ")");
  } catch (const std::exception& e) {
    return Malformed(std::string(what) + ": " + e.what());
  }
}

}  // namespace otasim::manifest
