#include "target/template_values.hpp"

#include <algorithm>
#include <array>

namespace otasim::target {

namespace {

// Every name a session provides to the template adapter (besides endpoint.KEY).
constexpr std::array<const char*, 19> kSessionNames = {
    "bin_dir",          "profile_dir",      "state_dir",        "scratch_dir",
    "config_file",      "device_id",        "protocol",         "ca_file",
    "client_cert",      "client_key",       "trust_anchor",     "initial_image",
    "initial_manifest", "initial_version",  "initial_sequence", "installed_version",
    "installed_sequence", "now",            "timeout_s"};

std::string StringAt(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

TemplateMap TemplateValues(const TargetProfile& profile, const Params& params,
                           const std::filesystem::path& bin_dir) {
  TemplateMap values = params.values();
  for (const auto& spec : profile.params) values.try_emplace(spec.name, "");  // optional, unset
  values["bin_dir"] = bin_dir.string();
  values["profile_dir"] = profile.file.parent_path().string();
  return values;
}

TemplateMap SessionDirValues(const std::filesystem::path& state_dir,
                             const std::filesystem::path& scratch_dir,
                             const std::filesystem::path& config_file) {
  return {{"state_dir", state_dir.string()},
          {"scratch_dir", scratch_dir.string()},
          {"config_file", config_file.string()}};
}

TemplateMap ConfigValues(const nlohmann::json& config,
                         const std::map<std::string, Release>& releases) {
  TemplateMap values;
  values["device_id"] = StringAt(config, "device_id");
  values["protocol"] = StringAt(config, "protocol");
  const nlohmann::json tls = config.value("tls", nlohmann::json::object());
  values["ca_file"] = StringAt(tls, "ca_file");
  values["client_cert"] = StringAt(tls, "client_cert");
  values["client_key"] = StringAt(tls, "client_key");
  const nlohmann::json anchors = config.value("trust_anchors", nlohmann::json::array());
  values["trust_anchor"] =
      anchors.is_array() && !anchors.empty() && anchors[0].is_string() ? anchors[0].get<std::string>() : "";
  const nlohmann::json initial = config.value("initial_firmware", nlohmann::json::object());
  values["initial_image"] = StringAt(initial, "image");
  values["initial_manifest"] = StringAt(initial, "manifest");
  values["initial_version"] = "";
  values["initial_sequence"] = "";
  for (const auto& [name, release] : releases) {
    if (release.image_path.string() == values["initial_image"]) {
      values["initial_version"] = release.manifest.version;
      values["initial_sequence"] = std::to_string(release.manifest.sequence);
    }
  }
  values["now"] = StringAt(config, "now");
  std::int64_t timeout_ms = 0;
  if (auto limits = config.find("limits"); limits != config.end() && limits->is_object()) {
    timeout_ms = limits->value("timeout_ms", std::int64_t{0});
  }
  values["timeout_s"] = std::to_string(std::max<std::int64_t>(1, timeout_ms / 1000));
  const std::string protocol = values["protocol"];
  if (auto endpoints = config.find("endpoints"); endpoints != config.end() && endpoints->is_object()) {
    if (auto block = endpoints->find(protocol); block != endpoints->end() && block->is_object()) {
      for (const auto& [key, value] : block->items()) {
        if (value.is_string()) values["endpoint." + key] = value.get<std::string>();
        if (value.is_number()) values["endpoint." + key] = value.dump();
      }
    }
  }
  return values;
}

bool IsKnownPlaceholder(const std::string& name, const TargetProfile& profile) {
  if (name.rfind("endpoint.", 0) == 0 && name.size() > 9) return true;
  if (std::find_if(kSessionNames.begin(), kSessionNames.end(),
                   [&](const char* known) { return name == known; }) != kSessionNames.end()) {
    return true;
  }
  return std::any_of(profile.params.begin(), profile.params.end(),
                     [&](const ParamSpec& spec) { return spec.name == name; });
}

}  // namespace otasim::target
