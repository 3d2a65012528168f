#include <algorithm>
#include <fnmatch.h>
#include <regex>
#include <set>

#include "otasim/crypto.hpp"
#include "otasim/params.hpp"
#include "otasim/time.hpp"
#include "scenario/loader.hpp"
#include "scenario/yaml_reader.hpp"

namespace otasim::scenario {

std::string_view OutcomeName(Outcome outcome) noexcept {
  switch (outcome) {
    case Outcome::kInstalled: return "installed";
    case Outcome::kNoUpdate: return "no-update";
    case Outcome::kRejected: return "rejected";
    case Outcome::kFailed: return "failed";
    case Outcome::kPowerLost: return "power-lost";
    case Outcome::kBooted: return "booted";
    case Outcome::kBricked: return "bricked";
    case Outcome::kError: return "error";
  }
  return "error";
}

std::optional<Outcome> ParseOutcome(std::string_view name) {
  for (Outcome o : {Outcome::kInstalled, Outcome::kNoUpdate, Outcome::kRejected, Outcome::kFailed,
                    Outcome::kPowerLost, Outcome::kBooted, Outcome::kBricked}) {
    if (OutcomeName(o) == name) return o;
  }
  return std::nullopt;
}

bool Expectations::empty() const {
  return outcome.empty() && reason.empty() && !running && !bootable && !installs_delta &&
         !status_report && !image_requests && !max_extra_bytes_read && !resumed &&
         !client_identity_is_device;
}

std::string ServerModelFor(std::string_view protocol) {
  if (protocol == "http") return "server.http-poll";
  if (protocol == "coap") return "server.coap-poll";
  if (protocol == "mqtt") return "server.mqtt-jobs";
  return "";
}

bool ScenarioSpec::AppliesTo(const std::string& protocol) const {
  return protocols.empty() ||
         std::find(protocols.begin(), protocols.end(), protocol) != protocols.end();
}

std::string ScenarioSpec::Threat() const {
  auto slash = id.find('/');
  return slash == std::string::npos ? id : id.substr(0, slash);
}

namespace {

const std::set<std::string> kReasons = {"signature", "format", "class",  "expired", "rollback",
                                        "replay",    "size",   "digest", "tls",     "timeout",
                                        "interrupted", "network", "storage", "self-test",
                                        "none"};

Result<std::string> FileSha256(const std::filesystem::path& path) {
  return crypto::Sha256FileHex(path);
}

class ScenarioParser {
 public:
  ScenarioParser(const YamlReader& yaml, const ValidationContext& ctx) : y_(yaml), ctx_(ctx) {}

  Result<ScenarioSpec> Parse() {
    const YAML::Node& root = y_.root();
    OTASIM_CHECK(y_.CheckMap(root, "", {"id", "title", "summary", "requirements", "protocols",
                                        "servers", "trust", "roots", "releases", "device",
                                        "steps"}));
    ScenarioSpec s;
    OTASIM_TRY(auto id, y_.String(root, "id", "", true));
    s.id = *id;
    if (!std::regex_match(s.id, std::regex("[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)+"))) {
      return y_.ErrorAt(root["id"], "id",
                        "'" + s.id + "' is not of the form threat/name (lower-case, digits, -)");
    }
    OTASIM_TRY(auto title, y_.String(root, "title", "", true));
    s.title = *title;
    OTASIM_TRY(auto summary, y_.String(root, "summary", "", false));
    s.summary = summary.value_or("");
    OTASIM_TRY(s.requirements, y_.StringList(root, "requirements", "", true));
    if (s.requirements.empty()) return y_.ErrorAt(root, "requirements", "lists no requirement");
    if (ctx_.catalogue != nullptr) {
      for (const auto& req : s.requirements) {
        if (ctx_.catalogue->Find(req) == nullptr) {
          return y_.ErrorAt(root["requirements"], "requirements",
                            "unknown requirement '" + req + "' (see scenarios/requirements.yaml)");
        }
      }
    }
    OTASIM_CHECK(ParseProtocols(s));
    OTASIM_CHECK(ParseServers(s));
    OTASIM_CHECK(ParseTrust(s));
    OTASIM_CHECK(ParseReleases(s));
    OTASIM_CHECK(ParseDevice(s));
    OTASIM_CHECK(ParseSteps(s));
    return s;
  }

 private:
  Status ParseProtocols(ScenarioSpec& s) {
    OTASIM_TRY(auto protocols, y_.StringList(y_.root(), "protocols", "", false));
    if (protocols.empty() || (protocols.size() == 1 && protocols[0] == "any")) return {};
    for (const auto& p : protocols) {
      if (std::find(std::begin(kProtocols), std::end(kProtocols), p) == std::end(kProtocols)) {
        return y_.ErrorAt(y_.root()["protocols"], "protocols",
                          "unknown protocol '" + p + "' (http, coap, mqtt or any)");
      }
    }
    s.protocols = protocols;
    protocols_ = protocols;
    return {};
  }

  // servers: {coap: {security: psk}} — parameters of the server model of each protocol.
  Status ParseServers(ScenarioSpec& s) {
    const YAML::Node node = y_.root()["servers"];
    if (!node.IsDefined() || node.IsNull()) return {};
    if (!node.IsMap()) return y_.ErrorAt(node, "servers", "expected a mapping of protocol to parameters");
    for (const auto& entry : node) {
      const std::string protocol = entry.first.Scalar();
      const std::string where = "servers." + protocol;
      const std::string server = ServerModelFor(protocol);
      if (server.empty()) {
        return y_.ErrorAt(entry.first, where, "unknown protocol '" + protocol + "' (http, coap, mqtt)");
      }
      if (!s.AppliesTo(protocol)) {
        return y_.ErrorAt(entry.first, where, "the scenario does not run over " + protocol);
      }
      OTASIM_TRY(auto params, y_.StringMap(node, protocol.c_str(), "servers"));
      if (ctx_.registry != nullptr) {
        auto type = ctx_.registry->Require(server);
        if (!type) return y_.ErrorAt(entry.first, where, type.error().message());
        auto bound = Params::Bind((*type)->info.params, params, server);
        if (!bound) return y_.ErrorAt(entry.second, where, bound.error().message());
      }
      s.server_params[protocol] = std::move(params);
    }
    return {};
  }

  Status ParseReleases(ScenarioSpec& s) {
    const YAML::Node node = y_.root()["releases"];
    if (!node.IsDefined() || !node.IsMap() || node.size() == 0) {
      return y_.ErrorAt(node.IsDefined() ? node : y_.root(), "releases",
                        "expected a mapping of release name to release");
    }
    for (const auto& entry : node) {
      ReleaseSpec r;
      r.name = entry.first.Scalar();
      const std::string where = "releases." + r.name;
      if (!std::regex_match(r.name, std::regex("[A-Za-z0-9][A-Za-z0-9_-]*"))) {
        return y_.ErrorAt(entry.first, where, "release names are letters, digits, - and _");
      }
      const YAML::Node& rel = entry.second;
      OTASIM_CHECK(y_.CheckMap(rel, where, {"version", "sequence", "size", "class", "vendor",
                                            "issued", "expires", "signer", "root_updates",
                                            "self_test"}));
      OTASIM_TRY(auto version, y_.String(rel, "version", where, true));
      r.version = *version;
      if (!std::regex_match(r.version, std::regex("[0-9]+\\.[0-9]+\\.[0-9]+([-+][0-9A-Za-z.-]+)?"))) {
        return y_.ErrorAt(rel["version"], where + ".version", "'" + r.version + "' is not semver");
      }
      OTASIM_TRY(auto sequence, y_.Unsigned(rel, "sequence", where, true));
      r.sequence = *sequence;
      OTASIM_TRY(auto size, y_.String(rel, "size", where, false));
      if (size) {
        auto bytes = ParseByteCount(*size);
        if (!bytes || *bytes == 0 || *bytes > (4ull << 30)) {
          return y_.ErrorAt(rel["size"], where + ".size",
                            "expected a size between 1 byte and 4GiB, got '" + *size + "'");
        }
        r.size = *bytes;
      }
      OTASIM_TRY(auto class_id, y_.String(rel, "class", where, false));
      r.class_id = class_id.value_or("");
      OTASIM_TRY(auto vendor_id, y_.String(rel, "vendor", where, false));
      r.vendor_id = vendor_id.value_or("");
      for (auto [key, field] : {std::pair{"issued", &r.issued}, std::pair{"expires", &r.expires}}) {
        OTASIM_TRY(auto text, y_.String(rel, key, where, false));
        if (!text) continue;
        if (!ParseOffset(*text)) {
          return y_.ErrorAt(rel[key], where + "." + key,
                            "expected an offset from the session start such as +30d, -1h, 0");
        }
        *field = *text;
      }
      OTASIM_TRY(auto signer, y_.String(rel, "signer", where, false));
      r.signer = signer.value_or("vendor");
      if (!IsKeyName(r.signer)) {
        return y_.ErrorAt(rel["signer"], where + ".signer",
                          "expected vendor, rogue or another vendor key such as vendor-2");
      }
      OTASIM_TRY(r.root_updates, y_.StringList(rel, "root_updates", where, false));
      for (const auto& root : r.root_updates) {
        if (!s.roots.count(root)) {
          return y_.ErrorAt(rel["root_updates"], where + ".root_updates",
                            "no root named '" + root + "' (see roots)");
        }
      }
      OTASIM_TRY(auto self_test, y_.String(rel, "self_test", where, false));
      if (self_test && *self_test != "pass" && *self_test != "fail") {
        return y_.ErrorAt(rel["self_test"], where + ".self_test", "expected pass or fail");
      }
      r.self_test_fails = self_test.value_or("pass") == "fail";
      s.releases[r.name] = r;
    }
    return {};
  }

  static bool IsKeyName(const std::string& name) {
    return name == "rogue" || std::regex_match(name, std::regex("vendor(-[a-z0-9]+)?"));
  }

  // trust: keys | root, and roots: {r2: {version: 2, keys: [vendor-2]}} (rotations).
  Status ParseTrust(ScenarioSpec& s) {
    OTASIM_TRY(auto trust, y_.String(y_.root(), "trust", "", false));
    s.trust = trust.value_or("keys");
    if (s.trust != "keys" && s.trust != "root") {
      return y_.ErrorAt(y_.root()["trust"], "trust", "expected keys or root");
    }
    const YAML::Node node = y_.root()["roots"];
    if (!node.IsDefined()) return {};
    if (s.trust != "root") return y_.ErrorAt(node, "roots", "roots need `trust: root`");
    if (!node.IsMap()) return y_.ErrorAt(node, "roots", "expected a mapping of root name to root");
    for (const auto& entry : node) {
      RootSpec r;
      r.name = entry.first.Scalar();
      const std::string where = "roots." + r.name;
      const YAML::Node& root = entry.second;
      OTASIM_CHECK(y_.CheckMap(root, where, {"version", "keys", "threshold", "signers", "expires"}));
      OTASIM_TRY(auto version, y_.Unsigned(root, "version", where, true));
      if (*version < 2) {
        return y_.ErrorAt(root["version"], where + ".version",
                          "version 1 is the provisioned root; rotations start at 2");
      }
      r.version = *version;
      OTASIM_TRY(r.keys, y_.StringList(root, "keys", where, true));
      OTASIM_TRY(r.signers, y_.StringList(root, "signers", where, false));
      for (const auto* list : {&r.keys, &r.signers}) {
        for (const auto& key : *list) {
          if (!IsKeyName(key)) {
            return y_.ErrorAt(root, where, "unknown key '" + key +
                                               "' (vendor, vendor-2, ... or rogue)");
          }
        }
      }
      if (r.keys.empty()) return y_.ErrorAt(root, where + ".keys", "lists no key");
      OTASIM_TRY(auto threshold, y_.Unsigned(root, "threshold", where, false));
      r.threshold = threshold.value_or(1);
      if (r.threshold == 0 || r.threshold > r.keys.size()) {
        return y_.ErrorAt(root, where + ".threshold", "must be 1.." + std::to_string(r.keys.size()));
      }
      OTASIM_TRY(auto expires, y_.String(root, "expires", where, false));
      if (expires) {
        if (!ParseOffset(*expires)) {
          return y_.ErrorAt(root["expires"], where + ".expires", "expected an offset such as +30d");
        }
        r.expires = *expires;
      }
      s.roots[r.name] = r;
    }
    return {};
  }

  Status ParseDevice(ScenarioSpec& s) {
    const YAML::Node node = y_.root()["device"];
    if (!node.IsDefined()) return y_.ErrorAt(y_.root(), "device", "missing required field");
    OTASIM_CHECK(y_.CheckMap(node, "device", {"initial"}));
    OTASIM_TRY(auto initial, y_.String(node, "initial", "device", true));
    if (!s.releases.count(*initial)) {
      return y_.ErrorAt(node["initial"], "device.initial", "no release named '" + *initial + "'");
    }
    s.initial_release = *initial;
    return {};
  }

  Status ParseSteps(ScenarioSpec& s) {
    const YAML::Node node = y_.root()["steps"];
    if (!node.IsDefined() || !node.IsSequence() || node.size() == 0) {
      return y_.ErrorAt(node.IsDefined() ? node : y_.root(), "steps", "expected a list of steps");
    }
    int index = 0;
    for (const auto& item : node) {
      ++index;
      OTASIM_TRY(StepSpec step, ParseStep(s, item, "steps[" + std::to_string(index) + "]"));
      s.steps.push_back(std::move(step));
    }
    // The control rule (DESIGN §9): the legitimate update is proven before any attack.
    if (!s.steps.front().control) {
      return y_.ErrorAt(node[0], "steps[1]",
                        "the first step must be a legitimate control step (control: true), so "
                        "that a device that rejects everything cannot pass");
    }
    return {};
  }

  Result<StepSpec> ParseStep(const ScenarioSpec& s, const YAML::Node& item,
                             const std::string& where) {
    OTASIM_CHECK(y_.CheckMap(item, where, {"name", "control", "serve", "attacks", "clock",
                                           "action", "timeout", "expect"}));
    StepSpec step;
    step.line = YamlReader::Line(item);
    OTASIM_TRY(auto name, y_.String(item, "name", where, true));
    step.name = *name;
    OTASIM_TRY(auto control, y_.Bool(item, "control", where, false));
    step.control = control.value_or(false);
    OTASIM_TRY(auto serve, y_.String(item, "serve", where, false));
    if (serve && *serve != "none") {
      if (!s.releases.count(*serve)) {
        return y_.ErrorAt(item["serve"], where + ".serve", "no release named '" + *serve + "'");
      }
      step.serve = *serve;
    }
    OTASIM_CHECK(ParseAttacks(item, where, step));
    if (step.control && !step.attacks.empty()) {
      return y_.ErrorAt(item["attacks"], where + ".attacks",
                        "a control step is legitimate: it cannot have attacks");
    }
    OTASIM_TRY(auto clock, y_.String(item, "clock", where, false));
    if (clock) {
      if (!ParseOffset(*clock)) {
        return y_.ErrorAt(item["clock"], where + ".clock",
                          "expected a clock offset such as +2d, -1h, 0");
      }
      step.clock = *clock;
    }
    OTASIM_TRY(auto action, y_.String(item, "action", where, false));
    const std::string act = action.value_or("check");
    if (act == "check") step.action = Action::kCheck;
    else if (act == "boot") step.action = Action::kBoot;
    else if (act == "none") step.action = Action::kNone;
    else return y_.ErrorAt(item["action"], where + ".action", "expected check, boot or none");
    OTASIM_TRY(auto timeout, y_.String(item, "timeout", where, false));
    if (timeout) {
      auto ms = ParseDuration(*timeout);
      if (!ms || ms->count() <= 0 || ms->count() > 3600000) {
        return y_.ErrorAt(item["timeout"], where + ".timeout",
                          "expected a duration between 1ms and 1h such as 30s");
      }
      step.timeout = *ms;
    }
    OTASIM_CHECK(ParseExpect(s, item, where, step));
    if (step.expect.empty()) {
      return y_.ErrorAt(item, where + ".expect", "a step must expect something it can check");
    }
    return step;
  }

  Status ParseAttacks(const YAML::Node& item, const std::string& where, StepSpec& step) {
    const YAML::Node attacks = item["attacks"];
    if (!attacks.IsDefined() || attacks.IsNull()) return {};
    if (!attacks.IsSequence()) return y_.ErrorAt(attacks, where + ".attacks", "expected a list");
    int n = 0;
    for (const auto& a : attacks) {
      const std::string aw = where + ".attacks[" + std::to_string(++n) + "]";
      OTASIM_CHECK(y_.CheckMap(a, aw, {"id", "params"}));
      AttackSpec spec;
      spec.line = YamlReader::Line(a);
      OTASIM_TRY(auto id, y_.String(a, "id", aw, true));
      spec.id = *id;
      OTASIM_TRY(spec.params, y_.StringMap(a, "params", aw));
      if (ctx_.registry != nullptr) {
        auto type = ctx_.registry->Require(spec.id);
        if (!type) return y_.ErrorAt(a["id"], aw + ".id", type.error().message());
        const auto kind = (*type)->info.kind;
        if (kind == PluginKind::kServer) {
          return y_.ErrorAt(a["id"], aw + ".id", "'" + spec.id + "' is a server model, not an attack");
        }
        auto bound = Params::Bind((*type)->info.params, spec.params, spec.id);
        if (!bound) return y_.ErrorAt(a["params"].IsDefined() ? a["params"] : a, aw + ".params",
                                      bound.error().message());
        // An attack bound to some protocols needs a scenario that runs only over those.
        const auto& only = (*type)->info.protocols;
        if (!only.empty()) {
          const bool fits = !protocols_.empty() &&
                            std::all_of(protocols_.begin(), protocols_.end(), [&](const std::string& p) {
                              return std::find(only.begin(), only.end(), p) != only.end();
                            });
          if (!fits) {
            std::string list;
            for (const auto& p : only) list += (list.empty() ? "" : ", ") + p;
            return y_.ErrorAt(a["id"], aw + ".id",
                              "'" + spec.id + "' applies only to " + list +
                                  ": declare the scenario's protocols as a subset of them");
          }
        }
      }
      step.attacks.push_back(std::move(spec));
    }
    return {};
  }

  Status ParseExpect(const ScenarioSpec& s, const YAML::Node& item, const std::string& where,
                     StepSpec& step) {
    const YAML::Node e = item["expect"];
    const std::string ew = where + ".expect";
    if (!e.IsDefined()) return y_.ErrorAt(item, ew, "missing required field");
    OTASIM_CHECK(y_.CheckMap(e, ew, {"outcome", "reason", "running", "bootable", "installs",
                                     "status_report", "image_requests", "max_extra_bytes_read",
                                     "resumed", "client_identity"}));
    Expectations& x = step.expect;
    OTASIM_TRY(auto outcomes, y_.StringList(e, "outcome", ew, false));
    for (const auto& o : outcomes) {
      auto parsed = ParseOutcome(o);
      if (!parsed) {
        return y_.ErrorAt(e["outcome"], ew + ".outcome",
                          "unknown outcome '" + o + "' (installed, no-update, rejected, failed, "
                          "power-lost, booted, bricked)");
      }
      x.outcome.push_back(*parsed);
    }
    OTASIM_TRY(x.reason, y_.StringList(e, "reason", ew, false));
    OTASIM_CHECK(CheckReasons(e["reason"], ew + ".reason", x.reason));
    OTASIM_TRY(auto running, y_.String(e, "running", ew, false));
    if (running) {
      if (!s.releases.count(*running)) {
        return y_.ErrorAt(e["running"], ew + ".running", "no release named '" + *running + "'");
      }
      x.running = *running;
    }
    OTASIM_TRY(x.bootable, y_.Bool(e, "bootable", ew, false));
    OTASIM_TRY(auto installs, y_.String(e, "installs", ew, false));
    if (installs) {
      if (*installs == "unchanged") x.installs_delta = 0;
      else if (std::regex_match(*installs, std::regex("\\+[0-9]{1,9}"))) x.installs_delta = std::stoll(installs->substr(1));
      else return y_.ErrorAt(e["installs"], ew + ".installs", "expected unchanged or +N");
    }
    OTASIM_CHECK(ParseStatusExpectation(e, ew, x));
    OTASIM_TRY(auto requests, y_.String(e, "image_requests", ew, false));
    if (requests) {
      std::smatch m;
      if (!std::regex_match(*requests, m, std::regex("(>=|<=)?([0-9]{1,6})"))) {
        return y_.ErrorAt(e["image_requests"], ew + ".image_requests", "expected N, >=N or <=N");
      }
      CountBound bound;
      const std::uint64_t n = std::stoull(m[2]);
      if (m[1] != "<=") bound.min = n;
      if (m[1] != ">=") bound.max = n;
      x.image_requests = bound;
    }
    OTASIM_TRY(auto extra, y_.String(e, "max_extra_bytes_read", ew, false));
    if (extra) {
      auto bytes = ParseByteCount(*extra);
      if (!bytes) return y_.ErrorAt(e["max_extra_bytes_read"], ew + ".max_extra_bytes_read", bytes.error().message());
      x.max_extra_bytes_read = *bytes;
    }
    OTASIM_TRY(x.resumed, y_.Bool(e, "resumed", ew, false));
    OTASIM_TRY(auto identity, y_.String(e, "client_identity", ew, false));
    if (identity && *identity != "device") {
      return y_.ErrorAt(e["client_identity"], ew + ".client_identity",
                        "expected device (every exchange carried the device's own identity)");
    }
    x.client_identity_is_device = identity.has_value();
    return {};
  }

  Status ParseStatusExpectation(const YAML::Node& e, const std::string& ew, Expectations& x) {
    const YAML::Node node = e["status_report"];
    if (!node.IsDefined()) return {};
    const std::string sw = ew + ".status_report";
    StatusExpectation st;
    if (node.IsScalar() && node.Scalar() == "none") {
      st.none = true;
    } else if (node.IsScalar() && node.Scalar() == "truthful") {
      st.truthful = true;
    } else if (node.IsScalar()) {
      return y_.ErrorAt(node, sw, "expected none, truthful, or {result: ..., reason: ...}");
    } else {
      OTASIM_CHECK(y_.CheckMap(node, sw, {"result", "reason"}));
      OTASIM_TRY(st.results, y_.StringList(node, "result", sw, true));
      for (const auto& r : st.results) {
        if (r != "installed" && r != "rejected" && r != "failed") {
          return y_.ErrorAt(node["result"], sw + ".result", "expected installed, rejected or failed");
        }
      }
      OTASIM_TRY(st.reasons, y_.StringList(node, "reason", sw, false));
      OTASIM_CHECK(CheckReasons(node["reason"], sw + ".reason", st.reasons));
    }
    x.status_report = st;
    return {};
  }

  Status CheckReasons(const YAML::Node& node, const std::string& field,
                      const std::vector<std::string>& reasons) {
    for (const auto& r : reasons) {
      if (!kReasons.count(r)) {
        return y_.ErrorAt(node, field, "unknown reason '" + r + "' (see targets/PROTOCOL.md)");
      }
    }
    return {};
  }

  const YamlReader& y_;
  const ValidationContext& ctx_;
  std::vector<std::string> protocols_;  // the scenario's, empty: any
};

}  // namespace

Result<ScenarioSpec> LoadScenario(const std::filesystem::path& path, const ValidationContext& ctx) {
  OTASIM_TRY(YamlReader yaml, YamlReader::Load(path));
  OTASIM_TRY(ScenarioSpec spec, ScenarioParser(yaml, ctx).Parse());
  spec.file = path;
  if (!ctx.library_root.empty()) {
    std::error_code ec;
    auto rel = std::filesystem::relative(path, ctx.library_root, ec);
    if (!ec && !rel.empty() && *rel.begin() != "..") {
      std::string expected = rel.replace_extension().generic_string();
      if (expected != spec.id) {
        return yaml.ErrorAt(yaml.root()["id"], "id",
                            "'" + spec.id + "' does not match the file's place in the library ('" +
                                expected + "')");
      }
    }
  }
  OTASIM_TRY(spec.sha256, FileSha256(path));
  return spec;
}

Result<SuiteSpec> LoadSuite(const std::filesystem::path& path) {
  OTASIM_TRY(YamlReader y, YamlReader::Load(path));
  OTASIM_CHECK(y.CheckMap(y.root(), "", {"name", "title", "grading", "scenarios"}));
  SuiteSpec suite;
  OTASIM_TRY(auto name, y.String(y.root(), "name", "", true));
  suite.name = *name;
  OTASIM_TRY(auto title, y.String(y.root(), "title", "", false));
  suite.title = title.value_or(suite.name);
  OTASIM_TRY(auto grading, y.String(y.root(), "grading", "", false));
  suite.grading = grading.value_or("default");
  OTASIM_TRY(suite.scenarios, y.StringList(y.root(), "scenarios", "", true));
  if (suite.scenarios.empty()) return y.ErrorAt(y.root(), "scenarios", "lists no scenario");
  suite.file = path;
  OTASIM_TRY(suite.sha256, FileSha256(path));
  return suite;
}

Result<std::vector<ScenarioSpec>> LoadLibrary(const ValidationContext& ctx) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(ctx.library_root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".yaml") files.push_back(it->path());
  }
  if (ec) return MakeError(Errc::kIo, "reading " + ctx.library_root.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  std::vector<ScenarioSpec> library;
  for (const auto& file : files) {
    OTASIM_TRY(ScenarioSpec spec, LoadScenario(file, ctx));
    library.push_back(std::move(spec));
  }
  // Paths sort component by component ("cut-short.yaml" before "cut.yaml"); ids are strings.
  std::sort(library.begin(), library.end(),
            [](const ScenarioSpec& a, const ScenarioSpec& b) { return a.id < b.id; });
  return library;
}

Result<std::vector<ScenarioSpec>> ResolveSuite(const SuiteSpec& suite,
                                               const std::vector<ScenarioSpec>& library) {
  std::vector<ScenarioSpec> chosen;
  std::set<std::string> seen;
  for (const auto& pattern : suite.scenarios) {
    bool matched = false;
    for (const auto& spec : library) {
      if (fnmatch(pattern.c_str(), spec.id.c_str(), 0) != 0) continue;
      matched = true;
      if (seen.insert(spec.id).second) chosen.push_back(spec);
    }
    if (!matched) {
      return MakeError(Errc::kInvalidArgument, suite.file.string() + ": scenarios: '" + pattern +
                                                   "' matches no scenario of the library");
    }
  }
  return chosen;
}

}  // namespace otasim::scenario
