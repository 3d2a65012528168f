// The registry of every plugin type otasim knows: built-ins and those loaded from .so files.
// `otasim list plugins` and `otasim describe` are generated from it.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "otasim/plugin.hpp"

namespace otasim::plugin_host {

// Where a type came from, for reports and reproducibility.
struct PluginOrigin {
  std::string plugin_id;       // the OTASIM_PLUGIN id
  std::string plugin_version;
  std::string path;            // "builtin" or the .so path
  std::string sha256;          // of the .so file; empty for built-ins
};

struct RegisteredType {
  TypeInfo info;
  PluginOrigin origin;
  AttackerFactory attacker;
  FaultFactory fault;
  ServerFactory server;
  FormatFactory format;
};

class Registry final : public Registrar {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registers every plugin compiled into otasim.
  Status LoadBuiltins();
  // Loads one .so file, or every *.so file of a directory (sorted by name).
  Status LoadFile(const std::filesystem::path& path);
  Status LoadDirectory(const std::filesystem::path& dir);

  const RegisteredType* Find(std::string_view id) const;
  // kNotFound naming the unknown id and listing the known ones of that kind.
  Result<const RegisteredType*> Require(std::string_view id,
                                        std::optional<PluginKind> kind = std::nullopt) const;
  std::vector<const RegisteredType*> All() const;  // sorted by id
  std::vector<PluginOrigin> Origins() const;       // one per loaded plugin

  // Binds raw parameters (kInvalidArgument naming `where`), then builds the object.
  Result<std::unique_ptr<Attacker>> CreateAttacker(std::string_view id,
                                                   const std::map<std::string, std::string>& raw,
                                                   const std::string& where) const;
  Result<std::unique_ptr<Fault>> CreateFault(std::string_view id,
                                             const std::map<std::string, std::string>& raw,
                                             const std::string& where) const;
  Result<std::unique_ptr<UpdateServerModel>> CreateServer(
      std::string_view id, const std::map<std::string, std::string>& raw,
      const std::string& where) const;
  Result<std::unique_ptr<ReleaseFormat>> CreateFormat(
      std::string_view id, const std::map<std::string, std::string>& raw,
      const std::string& where) const;

  // Registrar
  void AddAttacker(TypeInfo info, AttackerFactory factory) override;
  void AddFault(TypeInfo info, FaultFactory factory) override;
  void AddServer(TypeInfo info, ServerFactory factory) override;
  void AddFormat(TypeInfo info, FormatFactory factory) override;

 private:
  Status Register(OtasimPluginRegisterFn fn, const PluginOrigin& origin);
  void Add(RegisteredType type);

  std::map<std::string, RegisteredType, std::less<>> types_;
  std::vector<PluginOrigin> origins_;
  PluginOrigin current_origin_;
  std::vector<std::string> pending_errors_;  // duplicate ids found while a plugin registers
};

// Host-side checks of a plugin's info block; kPlugin with a message naming both versions.
Status CheckCompatibility(const OtasimPluginInfo& info, const std::string& path);

}  // namespace otasim::plugin_host
