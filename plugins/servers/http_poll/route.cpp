#include "route.hpp"

#include <charconv>
#include <system_error>

namespace otasim::servers::http_poll {

Route RouteOf(std::string_view method, std::string_view target, std::string_view device_id) {
  constexpr std::string_view kImagesPrefix = "images/";
  std::string_view path = target.substr(0, target.find('?'));
  const std::string prefix = "/" + std::string(device_id) + "/";
  if (!path.starts_with(prefix)) return {};
  std::string_view resource = path.substr(prefix.size());
  if (resource == "manifest" && method == "GET") return {Resource::kManifest, {}};
  if (resource.starts_with(kImagesPrefix) && method == "GET") {
    return {Resource::kImage, std::string(resource.substr(kImagesPrefix.size()))};
  }
  if (resource == "status" && method == "POST") return {Resource::kStatus, {}};
  if (resource == "release" && (method == "GET" || method == "HEAD")) return {Resource::kArtifact, {}};
  return {};
}

std::optional<std::uint64_t> ParseOpenRange(std::string_view value) {
  constexpr std::string_view kPrefix = "bytes=";
  if (!value.starts_with(kPrefix) || !value.ends_with('-')) return std::nullopt;
  std::string_view digits = value.substr(kPrefix.size(), value.size() - kPrefix.size() - 1);
  if (digits.empty()) return std::nullopt;
  std::uint64_t start = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), start);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return start;
}

}  // namespace otasim::servers::http_poll
