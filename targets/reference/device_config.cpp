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

Result<Protocol> ParseProtocol(const std::string& name) {
  for (Protocol p : {Protocol::kHttp, Protocol::kCoap, Protocol::kMqtt}) {
    if (name == ProtocolName(p)) return p;
  }
  return FieldError("protocol", "'" + name + "' is not one of http, coap, mqtt");
}

void TrimTrailingSlashes(std::string& text) {
  while (text.size() > 1 && text.back() == '/') text.pop_back();
}

Status ParseCoapEndpoint(const json& block, CoapEndpoint& coap) {
  OTASIM_TRY(coap.base_uri, RequireString(block, "base_uri", "endpoints.coap.base_uri"));
  TrimTrailingSlashes(coap.base_uri);
  const bool secure_scheme = coap.base_uri.rfind("coaps://", 0) == 0;
  if (!secure_scheme && coap.base_uri.rfind("coap://", 0) != 0) {
    return FieldError("endpoints.coap.base_uri", "must start with coap:// or coaps://");
  }
  OTASIM_TRY(auto identity, GetString(block, "psk_identity", "endpoints.coap.psk_identity", false));
  OTASIM_TRY(auto psk_file, GetString(block, "psk_file", "endpoints.coap.psk_file", false));
  OTASIM_TRY(auto security, GetString(block, "security", "endpoints.coap.security", false));
  if (!security) {
    // Absent: what the scheme and the fields say.
    security = !secure_scheme ? "none" : identity ? "psk" : "cert";
  }
  if (*security == "none") {
    coap.security = CoapSecurity::kNone;
  } else if (*security == "psk") {
    coap.security = CoapSecurity::kPsk;
  } else if (*security == "cert") {
    coap.security = CoapSecurity::kCert;
  } else {
    return FieldError("endpoints.coap.security", "'" + *security + "' is not one of cert, psk, none");
  }
  if (secure_scheme != (coap.security != CoapSecurity::kNone)) {
    return FieldError("endpoints.coap.security",
                      "'" + *security + "' does not fit the scheme of base_uri " + coap.base_uri);
  }
  if (coap.security == CoapSecurity::kPsk) {
    if (!identity) return FieldError("endpoints.coap.psk_identity", "missing (security psk)");
    if (!psk_file) return FieldError("endpoints.coap.psk_file", "missing (security psk)");
    coap.psk_identity = *identity;
    coap.psk_file = *psk_file;
  }
  OTASIM_TRY(auto block_size, GetPositive(block, "block_size", "endpoints.coap.block_size"));
  if (block_size) {
    const std::uint64_t b = *block_size;
    if (b < 16 || b > 1024 || (b & (b - 1)) != 0) {
      return FieldError("endpoints.coap.block_size", "must be a power of two from 16 to 1024");
    }
    coap.block_size = static_cast<unsigned>(b);
  }
  return {};
}

Status ParseMqttEndpoint(const json& block, const std::string& device_id, MqttEndpoint& mqtt) {
  OTASIM_TRY(mqtt.broker, RequireString(block, "broker", "endpoints.mqtt.broker"));
  if (mqtt.broker.rfind("mqtt://", 0) != 0 && mqtt.broker.rfind("mqtts://", 0) != 0) {
    return FieldError("endpoints.mqtt.broker", "must start with mqtt:// or mqtts://");
  }
  OTASIM_TRY(mqtt.topic_root, RequireString(block, "topic_root", "endpoints.mqtt.topic_root"));
  while (!mqtt.topic_root.empty() && mqtt.topic_root.back() == '/') mqtt.topic_root.pop_back();
  if (mqtt.topic_root.empty() || mqtt.topic_root.find_first_of("+#") != std::string::npos) {
    return FieldError("endpoints.mqtt.topic_root", "must be a topic without wildcards");
  }
  OTASIM_TRY(auto client_id, GetString(block, "client_id", "endpoints.mqtt.client_id", false));
  mqtt.client_id = client_id.value_or(device_id);
  OTASIM_TRY(auto username, GetString(block, "username", "endpoints.mqtt.username", false));
  mqtt.username = username.value_or("");
  OTASIM_TRY(auto password,
             GetString(block, "password_file", "endpoints.mqtt.password_file", false));
  if (password) mqtt.password_file = *password;
  return {};
}

// The block of the session's protocol; the others are not read.
Status ParseEndpoint(const json& endpoints, bool required, DeviceConfig& config) {
  const std::string name(ProtocolName(config.protocol));
  const std::string field = "endpoints." + name;
  OTASIM_TRY(const json* block, GetObject(endpoints, name.c_str(), field, required));
  if (!block) return {};
  switch (config.protocol) {
    case Protocol::kHttp: {
      OTASIM_TRY(config.base_url, RequireString(*block, "base_url", "endpoints.http.base_url"));
      TrimTrailingSlashes(config.base_url);
      return {};
    }
    case Protocol::kCoap: return ParseCoapEndpoint(*block, config.coap);
    case Protocol::kMqtt: return ParseMqttEndpoint(*block, config.device_id, config.mqtt);
  }
  return {};
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
  if (protocol) {
    OTASIM_TRY(config.protocol, ParseProtocol(*protocol));
  }
  const bool needs_endpoint = use == ConfigUse::kCheck;
  OTASIM_TRY(const json* endpoints, GetObject(root, "endpoints", "endpoints", needs_endpoint));
  if (endpoints) {
    OTASIM_CHECK(ParseEndpoint(*endpoints, needs_endpoint, config));
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
    OTASIM_TRY(auto min_rate,
               GetPositive(*limits, "min_bytes_per_second", "limits.min_bytes_per_second"));
    OTASIM_TRY(auto window, GetPositive(*limits, "rate_window_ms", "limits.rate_window_ms"));
    if (min_rate) config.limits.min_bytes_per_second = *min_rate;
    if (window) config.limits.rate_window = std::chrono::milliseconds(*window);
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

std::string_view ProtocolName(Protocol protocol) noexcept {
  switch (protocol) {
    case Protocol::kHttp: return "http";
    case Protocol::kCoap: return "coap";
    case Protocol::kMqtt: return "mqtt";
  }
  return "http";
}

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

void DropClientIdentity(DeviceConfig& config) {
  config.tls.client_cert.reset();
  config.tls.client_key.reset();
}

}  // namespace otasim::device
