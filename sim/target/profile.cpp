#include "target/profile.hpp"

#include <algorithm>

#include "otasim/crypto.hpp"
#include "scenario/yaml_reader.hpp"

namespace otasim::target {

using scenario::YamlReader;

bool TargetProfile::Supports(const std::string& verb) const {
  return std::find(verbs.begin(), verbs.end(), verb) != verbs.end();
}

bool TargetProfile::SupportsProtocol(const std::string& protocol) const {
  return std::find(protocols.begin(), protocols.end(), protocol) != protocols.end();
}

std::chrono::milliseconds TargetProfile::Timeout(const std::string& verb) const {
  auto it = timeouts.find(verb);
  return it == timeouts.end() ? std::chrono::milliseconds(30000) : it->second;
}

namespace {

const std::vector<std::string> kVerbs = {"provision", "check", "state", "boot", "run"};

Result<ParamType> ParseParamType(const std::string& name) {
  for (ParamType t : {ParamType::kString, ParamType::kInt, ParamType::kBool, ParamType::kBytes,
                      ParamType::kPercent, ParamType::kDuration, ParamType::kEnum,
                      ParamType::kList}) {
    if (ParamTypeName(t) == name) return t;
  }
  return MakeError(Errc::kInvalidArgument, "unknown parameter type '" + name + "'");
}

}  // namespace

Result<TargetProfile> LoadTargetProfile(const std::filesystem::path& path) {
  OTASIM_TRY(YamlReader y, YamlReader::Load(path));
  const YAML::Node& root = y.root();
  OTASIM_CHECK(y.CheckMap(root, "", {"name", "summary", "adapter", "command", "args", "protocols",
                                     "verbs", "power_cut", "params", "timeouts"}));
  TargetProfile p;
  OTASIM_TRY(auto name, y.String(root, "name", "", true));
  p.name = *name;
  OTASIM_TRY(auto summary, y.String(root, "summary", "", false));
  p.summary = summary.value_or("");
  OTASIM_TRY(auto adapter, y.String(root, "adapter", "", false));
  p.adapter = adapter.value_or("contract");
  if (p.adapter != "contract") {
    return y.ErrorAt(root["adapter"], "adapter", "unknown adapter '" + p.adapter + "' (contract)");
  }
  OTASIM_TRY(auto command, y.String(root, "command", "", true));
  p.command = *command;
  OTASIM_TRY(p.args, y.StringList(root, "args", "", false));
  OTASIM_TRY(p.protocols, y.StringList(root, "protocols", "", true));
  for (const auto& proto : p.protocols) {
    if (proto != "http" && proto != "coap" && proto != "mqtt") {
      return y.ErrorAt(root["protocols"], "protocols", "unknown protocol '" + proto + "'");
    }
  }
  OTASIM_TRY(p.verbs, y.StringList(root, "verbs", "", true));
  for (const auto& verb : p.verbs) {
    if (std::find(kVerbs.begin(), kVerbs.end(), verb) == kVerbs.end()) {
      return y.ErrorAt(root["verbs"], "verbs",
                       "unknown verb '" + verb + "' (provision, check, state, boot, run)");
    }
  }
  for (const char* required : {"provision", "check", "state"}) {
    if (!p.Supports(required)) {
      return y.ErrorAt(root["verbs"], "verbs", std::string("the contract adapter needs '") +
                                                   required + "'");
    }
  }
  OTASIM_TRY(auto power_cut, y.String(root, "power_cut", "", false));
  p.power_cut = power_cut.value_or("none");
  if (p.power_cut != "none" && p.power_cut != "env") {
    return y.ErrorAt(root["power_cut"], "power_cut", "expected none or env");
  }
  const YAML::Node params = root["params"];
  if (params.IsDefined() && !params.IsNull()) {
    if (!params.IsSequence()) return y.ErrorAt(params, "params", "expected a list");
    int n = 0;
    for (const auto& item : params) {
      const std::string where = "params[" + std::to_string(++n) + "]";
      OTASIM_CHECK(y.CheckMap(item, where, {"name", "type", "default", "help", "choices"}));
      ParamSpec spec;
      OTASIM_TRY(auto pname, y.String(item, "name", where, true));
      spec.name = *pname;
      OTASIM_TRY(auto type, y.String(item, "type", where, true));
      auto parsed = ParseParamType(*type);
      if (!parsed) return y.ErrorAt(item["type"], where + ".type", parsed.error().message());
      spec.type = *parsed;
      OTASIM_TRY(auto def, y.String(item, "default", where, false));
      spec.default_value = def.value_or("");
      OTASIM_TRY(auto help, y.String(item, "help", where, true));
      spec.help = *help;
      OTASIM_TRY(spec.choices, y.StringList(item, "choices", where, false));
      p.params.push_back(spec);
    }
  }
  const YAML::Node timeouts = root["timeouts"];
  if (timeouts.IsDefined() && !timeouts.IsNull()) {
    if (!timeouts.IsMap()) return y.ErrorAt(timeouts, "timeouts", "expected verb: duration");
    for (const auto& entry : timeouts) {
      const std::string verb = entry.first.Scalar();
      if (std::find(kVerbs.begin(), kVerbs.end(), verb) == kVerbs.end()) {
        return y.ErrorAt(entry.first, "timeouts." + verb, "unknown verb");
      }
      auto ms = ParseDuration(entry.second.Scalar());
      if (!ms || ms->count() <= 0) {
        return y.ErrorAt(entry.second, "timeouts." + verb, "expected a duration such as 30s");
      }
      p.timeouts[verb] = *ms;
    }
  }
  p.file = path;
  OTASIM_TRY(p.sha256, crypto::Sha256FileHex(path));
  return p;
}

Result<std::filesystem::path> FindTargetProfile(const std::string& name_or_path,
                                                const std::filesystem::path& profiles_dir) {
  std::error_code ec;
  if (name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".yaml")) {
    if (std::filesystem::is_regular_file(name_or_path, ec)) return std::filesystem::path(name_or_path);
    return MakeError(Errc::kNotFound, "target profile " + name_or_path + " does not exist");
  }
  auto candidate = profiles_dir / (name_or_path + ".yaml");
  if (std::filesystem::is_regular_file(candidate, ec)) return candidate;
  std::string known;
  for (const auto& entry : std::filesystem::directory_iterator(profiles_dir, ec)) {
    if (entry.path().extension() == ".yaml") {
      known += (known.empty() ? "" : ", ") + entry.path().stem().string();
    }
  }
  return MakeError(Errc::kNotFound, "unknown target '" + name_or_path + "'; known: " + known);
}

Result<std::string> ExpandTemplate(const std::string& text,
                                   const std::map<std::string, std::string>& values) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto open = text.find('{', pos);
    if (open == std::string::npos) {
      out += text.substr(pos);
      break;
    }
    const auto close = text.find('}', open);
    if (close == std::string::npos) {
      return MakeError(Errc::kInvalidArgument, "unclosed '{' in template '" + text + "'");
    }
    out += text.substr(pos, open - pos);
    const std::string name = text.substr(open + 1, close - open - 1);
    auto it = values.find(name);
    if (it == values.end()) {
      std::string known;
      for (const auto& [k, v] : values) known += (known.empty() ? "" : ", ") + k;
      return MakeError(Errc::kInvalidArgument, "unknown placeholder {" + name + "} in '" + text +
                                                   "' (known: " + known + ")");
    }
    out += it->second;
    pos = close + 1;
  }
  return out;
}

}  // namespace otasim::target
