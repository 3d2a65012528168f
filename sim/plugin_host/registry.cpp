#include "plugin_host/registry.hpp"

#include <algorithm>

#include "plugin_host/builtin_plugins.hpp"

namespace otasim::plugin_host {

Status Registry::LoadBuiltins() {
  for (const BuiltinPlugin& plugin : BuiltinPlugins()) {
    PluginOrigin origin{plugin.symbol, OTASIM_VERSION_STRING, "builtin", ""};
    OTASIM_CHECK(Register(plugin.register_fn, origin));
  }
  return {};
}

Status Registry::Register(OtasimPluginRegisterFn fn, const PluginOrigin& origin) {
  current_origin_ = origin;
  pending_errors_.clear();
  char error[512] = {0};
  const int rc = fn(this, error, sizeof error);
  if (rc != 0) {
    return MakeError(Errc::kPlugin, origin.path + ": plugin " + origin.plugin_id +
                                        " failed to register: " + error);
  }
  if (!pending_errors_.empty()) {
    return MakeError(Errc::kPlugin, origin.path + ": " + pending_errors_.front());
  }
  origins_.push_back(origin);
  return {};
}

void Registry::Add(RegisteredType type) {
  const std::string id = type.info.id;
  if (auto it = types_.find(id); it != types_.end()) {
    pending_errors_.push_back("type id '" + id + "' is already registered by " +
                              it->second.origin.path + " (" + it->second.origin.plugin_id + ")");
    return;
  }
  type.origin = current_origin_;
  types_.emplace(id, std::move(type));
}

void Registry::AddAttacker(TypeInfo info, AttackerFactory factory) {
  RegisteredType type;
  type.info = std::move(info);
  type.attacker = std::move(factory);
  Add(std::move(type));
}

void Registry::AddFault(TypeInfo info, FaultFactory factory) {
  RegisteredType type;
  type.info = std::move(info);
  type.fault = std::move(factory);
  Add(std::move(type));
}

void Registry::AddServer(TypeInfo info, ServerFactory factory) {
  RegisteredType type;
  type.info = std::move(info);
  type.server = std::move(factory);
  Add(std::move(type));
}

void Registry::AddFormat(TypeInfo info, FormatFactory factory) {
  RegisteredType type;
  type.info = std::move(info);
  type.format = std::move(factory);
  Add(std::move(type));
}

const RegisteredType* Registry::Find(std::string_view id) const {
  auto it = types_.find(id);
  return it == types_.end() ? nullptr : &it->second;
}

Result<const RegisteredType*> Registry::Require(std::string_view id,
                                                std::optional<PluginKind> kind) const {
  const RegisteredType* type = Find(id);
  if (type != nullptr && (!kind || type->info.kind == *kind)) return type;
  std::string known;
  for (const auto& [name, candidate] : types_) {
    if (kind && candidate.info.kind != *kind) continue;
    known += (known.empty() ? "" : ", ") + name;
  }
  std::string what = kind ? std::string(PluginKindName(*kind)) + " plugin" : "plugin";
  const std::string article = kind && *kind == PluginKind::kAttacker ? "an " : "a ";
  if (type != nullptr) {
    const std::string is = type->info.kind == PluginKind::kAttacker ? "' is an " : "' is a ";
    return MakeError(Errc::kNotFound, "'" + std::string(id) + is +
                                          std::string(PluginKindName(type->info.kind)) +
                                          ", not " + article + what + "; known: " + known);
  }
  return MakeError(Errc::kNotFound, "unknown " + what + " '" + std::string(id) + "'; known: " +
                                        (known.empty() ? "(none)" : known));
}

std::vector<const RegisteredType*> Registry::All() const {
  std::vector<const RegisteredType*> all;
  for (const auto& [id, type] : types_) all.push_back(&type);
  return all;
}

std::vector<PluginOrigin> Registry::Origins() const { return origins_; }

namespace {

template <class T, class Factory>
Result<std::unique_ptr<T>> Build(const Registry& registry, std::string_view id, PluginKind kind,
                                 Factory RegisteredType::*factory,
                                 const std::map<std::string, std::string>& raw,
                                 const std::string& where) {
  OTASIM_TRY(const RegisteredType* type, registry.Require(id, kind));
  OTASIM_TRY(Params params, Params::Bind(type->info.params, raw, where + ", " + type->info.id));
  std::unique_ptr<T> object = (type->*factory)(params);
  if (!object) return MakeError(Errc::kPlugin, where + ": " + type->info.id + " built nothing");
  return object;
}

}  // namespace

Result<std::unique_ptr<Attacker>> Registry::CreateAttacker(
    std::string_view id, const std::map<std::string, std::string>& raw,
    const std::string& where) const {
  return Build<Attacker>(*this, id, PluginKind::kAttacker, &RegisteredType::attacker, raw, where);
}

Result<std::unique_ptr<Fault>> Registry::CreateFault(std::string_view id,
                                                     const std::map<std::string, std::string>& raw,
                                                     const std::string& where) const {
  return Build<Fault>(*this, id, PluginKind::kFault, &RegisteredType::fault, raw, where);
}

Result<std::unique_ptr<UpdateServerModel>> Registry::CreateServer(
    std::string_view id, const std::map<std::string, std::string>& raw,
    const std::string& where) const {
  return Build<UpdateServerModel>(*this, id, PluginKind::kServer, &RegisteredType::server, raw,
                                  where);
}

Result<std::unique_ptr<ReleaseFormat>> Registry::CreateFormat(
    std::string_view id, const std::map<std::string, std::string>& raw,
    const std::string& where) const {
  return Build<ReleaseFormat>(*this, id, PluginKind::kFormat, &RegisteredType::format, raw, where);
}

}  // namespace otasim::plugin_host
