#include "target/profile.hpp"

#include <algorithm>

#include "otasim/crypto.hpp"
#include "scenario/yaml_reader.hpp"
#include "target/template_values.hpp"

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

const std::vector<std::string> kOutcomes = {"installed", "no-update", "rejected", "failed", "error"};
const std::vector<std::string> kReasons = {
    "signature", "format",      "class",   "expired", "rollback", "replay",    "size", "digest",
    "tls",       "timeout",     "interrupted", "network", "storage", "self-test", "none"};

bool OneOf(const std::string& value, const std::vector<std::string>& choices) {
  return std::find(choices.begin(), choices.end(), value) != choices.end();
}

// The profile sections that only the template adapter reads, checked after the common ones.
class TemplateSections {
 public:
  TemplateSections(const YamlReader& y, TargetProfile& p) : y_(y), p_(p) {}

  // Every placeholder of `text` must be one the session provides.
  Status CheckTemplate(const YAML::Node& node, const std::string& field, const std::string& text) {
    auto names = TemplatePlaceholders(text);
    if (!names) return y_.ErrorAt(node, field, names.error().message());
    for (const auto& name : *names) {
      if (!IsKnownPlaceholder(name, p_)) {
        return y_.ErrorAt(node, field,
                          "unknown placeholder {" + name + "} (known: bin_dir, profile_dir, "
                          "state_dir, scratch_dir, config_file, device_id, protocol, ca_file, "
                          "client_cert, client_key, trust_anchor, initial_image, "
                          "initial_manifest, initial_version, initial_sequence, "
                          "installed_version, installed_sequence, now, timeout_s, "
                          "endpoint.KEY and the profile's parameters)");
      }
    }
    return {};
  }

  Result<std::string> TemplateString(const YAML::Node& map, const char* key,
                                     const std::string& where, bool required) {
    OTASIM_TRY(auto text, y_.String(map, key, where, required));
    if (!text) return std::string();
    OTASIM_CHECK(CheckTemplate(map[key], where + "." + key, *text));
    return *text;
  }

  Status LoadReleaseFormat(const YAML::Node& node) {
    if (!node.IsDefined() || node.IsNull()) return {};
    OTASIM_CHECK(y_.CheckMap(node, "release_format", {"id", "params"}));
    OTASIM_TRY(auto id, y_.String(node, "id", "release_format", true));
    p_.release_format = *id;
    OTASIM_TRY(p_.release_format_params, y_.StringMap(node, "params", "release_format"));
    for (const auto& [key, value] : p_.release_format_params) {
      OTASIM_CHECK(CheckTemplate(node["params"][key], "release_format.params." + key, value));
    }
    return {};
  }

  Status LoadServers(const YAML::Node& root) {
    OTASIM_TRY(p_.servers, y_.StringMap(root, "servers", ""));
    for (const auto& [protocol, id] : p_.servers) {
      if (!p_.SupportsProtocol(protocol)) {
        return y_.ErrorAt(root["servers"][protocol], "servers." + protocol,
                          "protocol '" + protocol + "' is not in the profile's protocols");
      }
    }
    const YAML::Node params = root["server_params"];
    if (!params.IsDefined() || params.IsNull()) return {};
    if (!params.IsMap()) return y_.ErrorAt(params, "server_params", "expected protocol: {name: value}");
    for (const auto& entry : params) {
      const std::string protocol = entry.first.Scalar();
      if (!p_.SupportsProtocol(protocol)) {
        return y_.ErrorAt(entry.first, "server_params." + protocol,
                          "protocol '" + protocol + "' is not in the profile's protocols");
      }
      OTASIM_TRY(p_.server_params[protocol], y_.StringMap(params, protocol.c_str(), "server_params"));
    }
    return {};
  }

  Status LoadCommands(const YAML::Node& node) {
    if (!node.IsDefined() || node.IsNull()) {
      return y_.ErrorAt(y_.root(), "commands", "the template adapter needs commands per verb");
    }
    if (!node.IsMap()) return y_.ErrorAt(node, "commands", "expected verb: [actions]");
    for (const auto& entry : node) {
      const std::string verb = entry.first.Scalar();
      const std::string field = "commands." + verb;
      if (verb != "provision" && verb != "check" && verb != "boot") {
        return y_.ErrorAt(entry.first, field,
                          "unknown verb (provision, check, boot; state is observed by otasim)");
      }
      if (!p_.Supports(verb)) {
        return y_.ErrorAt(entry.first, field, "'" + verb + "' is not in the profile's verbs");
      }
      if (!entry.second.IsSequence() || entry.second.size() == 0) {
        return y_.ErrorAt(entry.second, field, "expected a list of actions");
      }
      auto& actions = p_.commands[verb];
      int n = 0;
      for (const auto& item : entry.second) {
        OTASIM_TRY(ProfileAction action,
                   LoadAction(item, field + "[" + std::to_string(++n) + "]", verb));
        actions.push_back(std::move(action));
      }
    }
    for (const auto& verb : p_.verbs) {
      if (verb != "state" && !p_.commands.count(verb)) {
        return y_.ErrorAt(node, "commands", "no commands for verb '" + verb + "'");
      }
    }
    return {};
  }

  Status LoadOutcome(const YAML::Node& node) {
    if (!node.IsDefined() || node.IsNull()) {
      return y_.ErrorAt(y_.root(), "outcome", "the template adapter needs outcome rules");
    }
    OTASIM_CHECK(y_.CheckMap(node, "outcome", {"rules", "default"}));
    OTASIM_TRY(auto fallback, y_.String(node, "default", "outcome", false));
    p_.outcome_default = fallback.value_or("error");
    if (!OneOf(p_.outcome_default, kOutcomes)) {
      return y_.ErrorAt(node["default"], "outcome.default",
                        "unknown outcome (installed, no-update, rejected, failed, error)");
    }
    const YAML::Node rules = node["rules"];
    if (!rules.IsSequence() || rules.size() == 0) {
      return y_.ErrorAt(rules.IsDefined() ? rules : node, "outcome.rules", "expected a list of rules");
    }
    int n = 0;
    for (const auto& item : rules) {
      const std::string where = "outcome.rules[" + std::to_string(++n) + "]";
      OTASIM_CHECK(y_.CheckMap(item, where, {"log", "report", "exit", "outcome", "reason"}));
      OutcomeRule rule;
      rule.line = YamlReader::Line(item);
      const int sources = item["log"].IsDefined() + item["report"].IsDefined() + item["exit"].IsDefined();
      if (sources != 1) return y_.ErrorAt(item, where, "expected exactly one of log, report, exit");
      if (item["exit"].IsDefined()) {
        rule.source = OutcomeRule::Source::kExit;
        OTASIM_TRY(auto code, y_.Unsigned(item, "exit", where, true));
        if (*code > 255) return y_.ErrorAt(item["exit"], where + ".exit", "expected 0..255");
        rule.exit_code = static_cast<int>(*code);
      } else {
        const char* key = item["log"].IsDefined() ? "log" : "report";
        rule.source = item["log"].IsDefined() ? OutcomeRule::Source::kLog : OutcomeRule::Source::kReport;
        OTASIM_TRY(auto pattern, y_.String(item, key, where, true));
        rule.pattern = *pattern;
        try {
          rule.regex = std::make_shared<const std::regex>(rule.pattern, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
          return y_.ErrorAt(item[key], where + "." + key,
                            "not a valid regular expression: " + std::string(e.what()));
        }
      }
      OTASIM_TRY(auto outcome, y_.String(item, "outcome", where, true));
      rule.outcome = *outcome;
      if (!OneOf(rule.outcome, kOutcomes)) {
        return y_.ErrorAt(item["outcome"], where + ".outcome",
                          "unknown outcome '" + rule.outcome +
                              "' (installed, no-update, rejected, failed, error)");
      }
      OTASIM_TRY(auto reason, y_.String(item, "reason", where, false));
      rule.reason = reason.value_or("");
      if (!rule.reason.empty() && !OneOf(rule.reason, kReasons)) {
        return y_.ErrorAt(item["reason"], where + ".reason",
                          "unknown reason '" + rule.reason + "' (see targets/PROTOCOL.md)");
      }
      p_.outcome_rules.push_back(std::move(rule));
    }
    return {};
  }

  Status LoadObserve(const YAML::Node& node) {
    if (!node.IsDefined() || node.IsNull()) {
      return y_.ErrorAt(y_.root(), "observe", "the template adapter needs observe.installed_file");
    }
    OTASIM_CHECK(y_.CheckMap(node, "observe", {"installed_file", "version_file"}));
    OTASIM_TRY(p_.installed_file, TemplateString(node, "installed_file", "observe", true));
    OTASIM_TRY(p_.version_file, TemplateString(node, "version_file", "observe", false));
    return {};
  }

 private:
  Result<ProfileAction> LoadAction(const YAML::Node& item, const std::string& where,
                                   const std::string& verb) {
    ProfileAction a;
    a.line = YamlReader::Line(item);
    if (!item.IsMap()) return y_.ErrorAt(item, where, "expected an action (command, copy or write)");
    if (item["copy"].IsDefined()) {
      OTASIM_CHECK(y_.CheckMap(item, where, {"copy", "when"}));
      a.kind = ProfileAction::Kind::kCopy;
      OTASIM_CHECK(y_.CheckMap(item["copy"], where + ".copy", {"from", "to"}));
      OTASIM_TRY(a.from, TemplateString(item["copy"], "from", where + ".copy", true));
      OTASIM_TRY(a.to, TemplateString(item["copy"], "to", where + ".copy", true));
    } else if (item["write"].IsDefined()) {
      OTASIM_CHECK(y_.CheckMap(item, where, {"write", "when"}));
      a.kind = ProfileAction::Kind::kWrite;
      OTASIM_CHECK(y_.CheckMap(item["write"], where + ".write", {"path", "text"}));
      OTASIM_TRY(a.path, TemplateString(item["write"], "path", where + ".write", true));
      OTASIM_TRY(a.text, TemplateString(item["write"], "text", where + ".write", true));
    } else {
      OTASIM_CHECK(y_.CheckMap(item, where,
                               {"command", "args", "env", "timeout", "mode", "until", "until_log", "when",
                                "retry_if"}));
      a.kind = ProfileAction::Kind::kCommand;
      OTASIM_TRY(a.command, TemplateString(item, "command", where, true));
      OTASIM_TRY(a.args, y_.StringList(item, "args", where, false));
      for (std::size_t i = 0; i < a.args.size(); ++i) {
        OTASIM_CHECK(CheckTemplate(item["args"], where + ".args", a.args[i]));
      }
      OTASIM_TRY(a.env, y_.StringMap(item, "env", where));
      for (const auto& [name, value] : a.env) {
        OTASIM_CHECK(CheckTemplate(item["env"][name], where + ".env." + name, value));
      }
      OTASIM_TRY(auto timeout, y_.String(item, "timeout", where, false));
      if (timeout) {
        auto ms = ParseDuration(*timeout);
        if (!ms || ms->count() <= 0) {
          return y_.ErrorAt(item["timeout"], where + ".timeout", "expected a duration such as 30s");
        }
        a.timeout = *ms;
      }
      OTASIM_TRY(auto mode, y_.String(item, "mode", where, false));
      if (mode && *mode != "once" && *mode != "daemon") {
        return y_.ErrorAt(item["mode"], where + ".mode", "expected once or daemon");
      }
      a.daemon = mode.value_or("once") == "daemon";
      OTASIM_TRY(auto until, y_.String(item, "until", where, false));
      if (until && !a.daemon) return y_.ErrorAt(item["until"], where + ".until", "only with mode: daemon");
      if (a.daemon && until.value_or("") != "final-report") {
        return y_.ErrorAt(item["until"].IsDefined() ? item["until"] : item, where + ".until",
                          "mode: daemon needs until: final-report");
      }
      if (a.daemon && verb != "check") {
        return y_.ErrorAt(item["mode"], where + ".mode", "mode: daemon is for check only");
      }
      a.until = until.value_or("");
      OTASIM_TRY(auto until_log, y_.String(item, "until_log", where, false));
      if (until_log && !a.daemon) {
        return y_.ErrorAt(item["until_log"], where + ".until_log", "only with mode: daemon");
      }
      if (until_log) {
        try {
          a.until_log_regex = std::make_shared<const std::regex>(*until_log, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
          return y_.ErrorAt(item["until_log"], where + ".until_log",
                            std::string("not a regular expression: ") + e.what());
        }
        a.until_log = *until_log;
      }
      OTASIM_TRY(auto retry_if, y_.String(item, "retry_if", where, false));
      if (retry_if) {
        try {
          a.retry_regex = std::make_shared<const std::regex>(*retry_if, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
          return y_.ErrorAt(item["retry_if"], where + ".retry_if",
                            std::string("not a regular expression: ") + e.what());
        }
        a.retry_if = *retry_if;
      }
    }
    OTASIM_TRY(auto when, y_.String(item, "when", where, false));
    if (when && *when != "installed") return y_.ErrorAt(item["when"], where + ".when", "expected installed");
    if (when && verb != "check") return y_.ErrorAt(item["when"], where + ".when", "only in check");
    a.when_installed = when.has_value();
    return a;
  }

  const YamlReader& y_;
  TargetProfile& p_;
};

}  // namespace

Result<TargetProfile> LoadTargetProfile(const std::filesystem::path& path) {
  OTASIM_TRY(YamlReader y, YamlReader::Load(path));
  const YAML::Node& root = y.root();
  OTASIM_CHECK(y.CheckMap(root, "", {"name", "summary", "adapter", "command", "args", "protocols",
                                     "verbs", "power_cut", "params", "timeouts", "release_format",
                                     "servers", "server_params", "clock", "commands", "outcome",
                                     "observe"}));
  TargetProfile p;
  OTASIM_TRY(auto name, y.String(root, "name", "", true));
  p.name = *name;
  OTASIM_TRY(auto summary, y.String(root, "summary", "", false));
  p.summary = summary.value_or("");
  OTASIM_TRY(auto adapter, y.String(root, "adapter", "", false));
  p.adapter = adapter.value_or("contract");
  if (p.adapter != "contract" && p.adapter != "template" && p.adapter != "remote") {
    return y.ErrorAt(root["adapter"], "adapter",
                     "unknown adapter '" + p.adapter + "' (contract, template, remote)");
  }
  const bool contract = p.adapter == "contract";
  const bool remote = p.adapter == "remote";  // a device on the network: nothing to run
  // Each adapter reads its own sections; the other's are a mistake worth naming.
  const std::vector<std::string> foreign =
      contract ? std::vector<std::string>{"commands", "outcome", "observe", "clock"}
      : remote ? std::vector<std::string>{"command", "args", "commands", "outcome", "observe", "clock"}
               : std::vector<std::string>{"command", "args", "power_cut"};
  for (const auto& entry : root) {
    const std::string key = entry.first.Scalar();
    if (std::find(foreign.begin(), foreign.end(), key) != foreign.end()) {
      return y.ErrorAt(entry.first, key, "not used by adapter: " + p.adapter);
    }
  }
  OTASIM_TRY(auto command, y.String(root, "command", "", contract));
  p.command = command.value_or("");
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
  for (const char* required : contract ? std::vector<const char*>{"provision", "check", "state"}
                              : remote   ? std::vector<const char*>{"check"}
                                         : std::vector<const char*>{"provision", "check"}) {
    if (!p.Supports(required)) {
      return y.ErrorAt(root["verbs"], "verbs", "the " + p.adapter + " adapter needs '" +
                                                   required + "'");
    }
  }
  if (!contract && p.Supports("run")) {
    return y.ErrorAt(root["verbs"], "verbs", "the " + p.adapter + " adapter has no 'run' verb");
  }
  if (remote && (p.Supports("boot") || p.Supports("state"))) {
    return y.ErrorAt(root["verbs"], "verbs",
                     "the remote adapter can only watch checks (verbs: [check])");
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
  TemplateSections sections(y, p);
  OTASIM_CHECK(sections.LoadReleaseFormat(root["release_format"]));
  OTASIM_CHECK(sections.LoadServers(root));
  if (p.adapter == "template") {
    OTASIM_TRY(auto clock, y.String(root, "clock", "", false));
    p.clock = clock.value_or("none");
    if (p.clock != "none" && p.clock != "faketime") {
      return y.ErrorAt(root["clock"], "clock", "expected none or faketime");
    }
    OTASIM_CHECK(sections.LoadCommands(root["commands"]));
    OTASIM_CHECK(sections.LoadOutcome(root["outcome"]));
    OTASIM_CHECK(sections.LoadObserve(root["observe"]));
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

Result<std::vector<std::string>> TemplatePlaceholders(const std::string& text) {
  std::vector<std::string> names;
  std::size_t pos = 0;
  while (true) {
    const auto open = text.find('{', pos);
    if (open == std::string::npos) return names;
    if (open + 1 < text.size() && text[open + 1] == '{') {  // "{{": a literal brace
      pos = open + 2;
      continue;
    }
    const auto close = text.find('}', open);
    if (close == std::string::npos) {
      return MakeError(Errc::kInvalidArgument, "unclosed '{' in template '" + text + "'");
    }
    names.push_back(text.substr(open + 1, close - open - 1));
    pos = close + 1;
  }
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
    if (open + 1 < text.size() && text[open + 1] == '{') {  // "{{": a literal brace
      out += text.substr(pos, open - pos + 1);
      pos = open + 2;
      continue;
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
