// The configuration file of the target contract (targets/PROTOCOL.md, "Configuration file"),
// parsed and validated. Every error names the offending field; main() turns it into exit 2.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "otasim/result.hpp"
#include "otasim/time.hpp"

namespace otasim::device {

inline constexpr std::string_view kContract = "otasim-target/1";

struct TlsFiles {
  std::optional<std::filesystem::path> ca_file;
  std::optional<std::filesystem::path> client_cert;
  std::optional<std::filesystem::path> client_key;
};

struct Limits {
  std::uint64_t max_image_bytes = 64ull << 20;
  std::chrono::milliseconds timeout{10000};
  std::chrono::milliseconds poll_interval{500};
  // Slow retrieval: a download is abandoned when fewer than min_bytes_per_second × rate_window
  // bytes arrived over the last rate_window (a sliding window).
  std::uint64_t min_bytes_per_second = 256;
  std::chrono::milliseconds rate_window{30000};
};

enum class Protocol { kHttp, kCoap, kMqtt };
std::string_view ProtocolName(Protocol protocol) noexcept;

enum class CoapSecurity { kNone, kPsk, kCert };

// endpoints.coap (targets/PROTOCOL.md, "CoAP(S) flow").
struct CoapEndpoint {
  std::string base_uri;  // "coaps://127.0.0.1:40124/dev-0001", no trailing '/'
  CoapSecurity security = CoapSecurity::kNone;
  std::string psk_identity;
  std::filesystem::path psk_file;  // the key as hex on one line
  unsigned block_size = 1024;      // 16..1024, a power of two
};

// endpoints.mqtt (targets/PROTOCOL.md, "MQTT(S) flow").
struct MqttEndpoint {
  std::string broker;      // "mqtts://127.0.0.1:40125" or "mqtt://..."
  std::string topic_root;  // no trailing '/'
  std::string client_id;   // default: device_id
  std::string username;    // empty: none
  std::optional<std::filesystem::path> password_file;
};

struct InitialFirmware {
  std::filesystem::path manifest;
  std::filesystem::path image;
};

struct DeviceConfig {
  std::string device_id;
  std::string vendor_id;
  std::string class_id;
  Protocol protocol = Protocol::kHttp;
  std::string base_url;  // endpoints.http.base_url
  CoapEndpoint coap;     // endpoints.coap, when protocol is coap
  MqttEndpoint mqtt;     // endpoints.mqtt, when protocol is mqtt
  TlsFiles tls;
  std::vector<std::filesystem::path> trust_anchors;
  Limits limits;
  std::optional<SysTime> now;  // the injectable clock
  std::optional<InitialFirmware> initial_firmware;

  SysTime Now() const { return now ? *now : NowUtc(); }
};

enum class ConfigUse { kProvision, kCheck };

// Provisioning also needs trust_anchors and initial_firmware; checks need the endpoint of
// `protocol` (only that block is read).
Result<DeviceConfig> LoadConfig(const std::filesystem::path& path, ConfigUse use);

// Forgets the device's certificate identity (tls.client_cert/client_key): the flaw
// no-client-cert. A DTLS pre-shared key stays: without it a PSK device could not connect at all,
// which a service observes as no device rather than an anonymous one.
void DropClientIdentity(DeviceConfig& config);

}  // namespace otasim::device
