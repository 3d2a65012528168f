#include "ddi_route.hpp"

#include <charconv>
#include <system_error>
#include <vector>

namespace otasim::servers::hawkbit_ddi {
namespace {

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    std::size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool ParseId(std::string_view text, std::uint64_t& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

DdiRoute DdiRouteOf(std::string_view method, std::string_view target, std::string_view tenant,
                    std::string_view controller_id) {
  std::string_view path = target.substr(0, target.find('?'));
  const std::string prefix =
      "/" + std::string(tenant) + "/controller/v1/" + std::string(controller_id);
  if (!path.starts_with(prefix)) return {};
  path.remove_prefix(prefix.size());
  if (path.empty() || path == "/") {
    if (method == "GET") return {.resource = DdiResource::kBase};
    return {};
  }
  if (!path.starts_with('/')) return {};  // another controller whose id starts like this one
  const std::vector<std::string_view> parts = Segments(path.substr(1));
  DdiRoute route;
  if (parts.size() == 1 && parts[0] == "configData" && method == "PUT") {
    route.resource = DdiResource::kConfigData;
  } else if ((parts.size() == 2 || parts.size() == 3) && parts[0] == "deploymentBase" &&
             ParseId(parts[1], route.action_id)) {
    if (parts.size() == 2 && method == "GET") route.resource = DdiResource::kDeploymentBase;
    if (parts.size() == 3 && parts[2] == "feedback" && method == "POST") {
      route.resource = DdiResource::kFeedback;
    }
  } else if (parts.size() == 4 && parts[0] == "softwaremodules" && parts[2] == "artifacts" &&
             !parts[3].empty() && ParseId(parts[1], route.module_id) &&
             (method == "GET" || method == "HEAD")) {
    route.resource = DdiResource::kArtifact;
    route.file_name = std::string(parts[3]);
  }
  if (route.resource == DdiResource::kOther) return {};
  return route;
}

}  // namespace otasim::servers::hawkbit_ddi
