#include "device_config.hpp"

#include <nlohmann/json.hpp>

#include "otasim/files.hpp"

namespace otasim::device {
namespace {

using nlohmann::json;

constexpr std::uint64_t kMaxConfigBytes = 1 << 20;

Error FieldError(std::string_view field, std::string_view problem) {
  return MakeError(Errc::kInvalidArgument, std::string(field) + ": " + std::string(problem));
}

// The member `key` of `object` as a non-empty string; nullopt when absent and not required.
Result<std::optional<std::string>> GetString(const json& object, const char* key,
                                             const std::string& field, bool required) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    if (required) return FieldError(field, "missing");
    return std::optional<std::string>{};
  }
  if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
    return FieldError(field, "must be a non-empty string");
  }
  return std::optional<std::string>{it->get<std::string>()};
}

Result<std::string> RequireString(const json& object, const char* key, const std::string& field) {
  OTASIM_TRY(auto value, GetString(object, key, field, true));
  return *value;
}

Result<std::optional<std::uint64_t>> GetPositive(const json& object, const char* key,
                                                 const std::string& field) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::optional<std::uint64_t>{};
  if (!it->is_number_unsigned() || it->get<std::uint64_t>() == 0) {
    return FieldError(field, "must be a positive integer");
  }
  return std::optional<std::uint64_t>{it->get<std::uint64_t>()};
}

Result<const json*> GetObject(const json& object, const char* key, const std::string& field,
                              bool required) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    if (required) return FieldError(field, "missing");
    return static_cast<const json*>(nullptr);
  }
  if (!it->is_object()) return FieldError(field, "must be an object");
  return &*it;
}

Result<DeviceConfig> ParseConfig(const json& root, ConfigUse use) {
  if (!root.is_object()) return FieldError("(top level)", "must be a JSON object");
  DeviceConfig config;

  OTASIM_TRY(auto contract, RequireString(root, "contract", "contract"));
  if (contract != kContract) {
    return FieldError("contract", "'" + contract + "' is not " + std::string(kContract));
  }
  OTASIM_TRY(config.device_id, RequireString(root, "device_id", "device_id"));
  OTASIM_TRY(config.vendor_id, RequireString(root, "vendor_id", "vendor_id"));
  OTASIM_TRY(config.class_id, RequireString(root, "class_id", "class_id"));

  OTASIM_TRY(auto protocol, GetString(root, "protocol", "protocol", false));
  if (protocol && *protocol != "http") {
    return FieldError("protocol", "'" + *protocol + "' is not supported (only http)");
  }
  const bool needs_endpoint = use == ConfigUse::kCheck;
  OTASIM_TRY(const json* endpoints, GetObject(root, "endpoints", "endpoints", needs_endpoint));
  if (endpoints) {
    OTASIM_TRY(const json* http, GetObject(*endpoints, "http", "endpoints.http", needs_endpoint));
    if (http) {
      OTASIM_TRY(config.base_url, RequireString(*http, "base_url", "endpoints.http.base_url"));
      while (config.base_url.size() > 1 && config.base_url.back() == '/')
        config.base_url.pop_back();
    }
  }

  OTASIM_TRY(const json* tls, GetObject(root, "tls", "tls", false));
  if (tls) {
    OTASIM_TRY(auto ca, GetString(*tls, "ca_file", "tls.ca_file", false));
    OTASIM_TRY(auto cert, GetString(*tls, "client_cert", "tls.client_cert", false));
    OTASIM_TRY(auto key, GetString(*tls, "client_key", "tls.client_key", false));
    if (cert.has_value() != key.has_value()) {
      return FieldError(cert ? "tls.client_key" : "tls.client_cert",
                        "client_cert and client_key come together");
    }
    if (ca) config.tls.ca_file = *ca;
    if (cert) config.tls.client_cert = *cert;
    if (key) config.tls.client_key = *key;
  }

  const auto anchors = root.find("trust_anchors");
  if (anchors != root.end() && !anchors->is_null()) {
    if (!anchors->is_array()) return FieldError("trust_anchors", "must be an array of paths");
    for (std::size_t i = 0; i < anchors->size(); ++i) {
      const auto& item = (*anchors)[i];
      if (!item.is_string() || item.get_ref<const std::string&>().empty()) {
        return FieldError("trust_anchors[" + std::to_string(i) + "]", "must be a non-empty string");
      }
      config.trust_anchors.emplace_back(item.get<std::string>());
    }
  }
  if (use == ConfigUse::kProvision && config.trust_anchors.empty()) {
    return FieldError("trust_anchors", "at least one trust anchor is needed to provision");
  }

  OTASIM_TRY(const json* limits, GetObject(root, "limits", "limits", false));
  if (limits) {
    OTASIM_TRY(auto max_bytes, GetPositive(*limits, "max_image_bytes", "limits.max_image_bytes"));
    OTASIM_TRY(auto timeout, GetPositive(*limits, "timeout_ms", "limits.timeout_ms"));
    OTASIM_TRY(auto poll, GetPositive(*limits, "poll_interval_ms", "limits.poll_interval_ms"));
    if (max_bytes) config.limits.max_image_bytes = *max_bytes;
    if (timeout) config.limits.timeout = std::chrono::milliseconds(*timeout);
    if (poll) config.limits.poll_interval = std::chrono::milliseconds(*poll);
  }

  OTASIM_TRY(auto now, GetString(root, "now", "now", false));
  if (now) {
    auto parsed = ParseRfc3339(*now);
    if (!parsed) return FieldError("now", "not an RFC 3339 time: " + parsed.error().message());
    config.now = *parsed;
  }

  OTASIM_TRY(const json* firmware,
             GetObject(root, "initial_firmware", "initial_firmware", use == ConfigUse::kProvision));
  if (firmware) {
    InitialFirmware initial;
    OTASIM_TRY(auto manifest, RequireString(*firmware, "manifest", "initial_firmware.manifest"));
    OTASIM_TRY(auto image, RequireString(*firmware, "image", "initial_firmware.image"));
    initial.manifest = manifest;
    initial.image = image;
    config.initial_firmware = initial;
  }
  return config;
}

}  // namespace

Result<DeviceConfig> LoadConfig(const std::filesystem::path& path, ConfigUse use) {
  const std::string where = "config " + path.string();
  auto text = ReadFile(path, kMaxConfigBytes);
  if (!text) return text.error().WithContext(where);
  const json root = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return MakeError(Errc::kParse, where + ": not valid JSON");
  auto config = ParseConfig(root, use);
  if (!config) return config.error().WithContext(where);
  return config;
}

}  // namespace otasim::device
