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
};

struct InitialFirmware {
  std::filesystem::path manifest;
  std::filesystem::path image;
};

struct DeviceConfig {
  std::string device_id;
  std::string vendor_id;
  std::string class_id;
  std::string base_url;  // endpoints.http.base_url
  TlsFiles tls;
  std::vector<std::filesystem::path> trust_anchors;
  Limits limits;
  std::optional<SysTime> now;  // the injectable clock
  std::optional<InitialFirmware> initial_firmware;

  SysTime Now() const { return now ? *now : NowUtc(); }
};

enum class ConfigUse { kProvision, kCheck };

// Provisioning also needs trust_anchors and initial_firmware; checks need the HTTP endpoint.
Result<DeviceConfig> LoadConfig(const std::filesystem::path& path, ConfigUse use);

}  // namespace otasim::device
