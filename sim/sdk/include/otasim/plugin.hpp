// Plugin registration. Built-in plugins and external .so plugins use the same code:
//
//   OTASIM_PLUGIN("attack.example", "1.0.0") {
//     registrar.Add<MyAttacker>();
//   }
//
// A type registered with Add<T>() provides
//   static otasim::TypeInfo Describe();        // id, version, summary, parameters, threats
//   explicit T(const otasim::Params& params);  // parameters already checked against Describe()
// and derives from Attacker, Fault, UpdateServerModel or ReleaseFormat.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "otasim/attacker.hpp"
#include "otasim/fault.hpp"
#include "otasim/params.hpp"
#include "otasim/release_format.hpp"
#include "otasim/server_model.hpp"
#include "otasim/version.hpp"

namespace otasim {

enum class PluginKind { kServer, kAttacker, kFault, kFormat };
std::string_view PluginKindName(PluginKind kind) noexcept;

struct TypeInfo {
  std::string id;       // "attack.replay"
  std::string version;  // of this type's behaviour
  std::string summary;  // one line
  std::vector<ParamSpec> params;
  std::vector<std::string> threats;    // what it covers, e.g. "replay", "THREAT.IMG.NON_AUTH"
  std::vector<std::string> protocols;  // where it applies; empty: every protocol
  PluginKind kind = PluginKind::kAttacker;  // filled in by Registrar::Add
};

using AttackerFactory = std::function<std::unique_ptr<Attacker>(const Params&)>;
using FaultFactory = std::function<std::unique_ptr<Fault>(const Params&)>;
using ServerFactory = std::function<std::unique_ptr<UpdateServerModel>(const Params&)>;
using FormatFactory = std::function<std::unique_ptr<ReleaseFormat>(const Params&)>;

class Registrar {
 public:
  virtual ~Registrar() = default;

  template <class T>
  void Add() {
    TypeInfo info = T::Describe();
    if constexpr (std::is_base_of_v<Attacker, T>) {
      info.kind = PluginKind::kAttacker;
      AddAttacker(std::move(info), [](const Params& p) { return std::make_unique<T>(p); });
    } else if constexpr (std::is_base_of_v<Fault, T>) {
      info.kind = PluginKind::kFault;
      AddFault(std::move(info), [](const Params& p) { return std::make_unique<T>(p); });
    } else if constexpr (std::is_base_of_v<ReleaseFormat, T>) {
      info.kind = PluginKind::kFormat;
      AddFormat(std::move(info), [](const Params& p) { return std::make_unique<T>(p); });
    } else {
      static_assert(std::is_base_of_v<UpdateServerModel, T>,
                    "a plugin type derives from Attacker, Fault, UpdateServerModel or ReleaseFormat");
      info.kind = PluginKind::kServer;
      AddServer(std::move(info), [](const Params& p) { return std::make_unique<T>(p); });
    }
  }

  virtual void AddAttacker(TypeInfo info, AttackerFactory factory) = 0;
  virtual void AddFault(TypeInfo info, FaultFactory factory) = 0;
  virtual void AddServer(TypeInfo info, ServerFactory factory) = 0;
  // ABI 3.1: release formats ("format.swu").
  virtual void AddFormat(TypeInfo info, FormatFactory factory) = 0;
};

}  // namespace otasim

// ---- the binary interface between host and .so ------------------------------------------
extern "C" {
struct OtasimPluginInfo {
  std::uint32_t struct_size;  // sizeof(OtasimPluginInfo) of the plugin's build
  std::uint16_t abi_major;
  std::uint16_t abi_minor;
  const char* plugin_id;
  const char* plugin_version;
  const char* build_fingerprint;
};
// Returns 0 on success; otherwise writes a message into error (NUL-terminated, truncated).
typedef const OtasimPluginInfo* (*OtasimPluginQueryFn)();
typedef int (*OtasimPluginRegisterFn)(otasim::Registrar* registrar, char* error,
                                      std::size_t error_size);
}

namespace otasim::detail {
int RunRegistration(void (*body)(Registrar&), Registrar* registrar, char* error,
                    std::size_t error_size) noexcept;
}  // namespace otasim::detail

#define OTASIM_PLUGIN_BODY_NAME otasim_plugin_body_

#ifdef OTASIM_BUILTIN_REGISTER
// Built into otasim: an explicit, uniquely named register function the host calls by name.
#define OTASIM_PLUGIN(id, version)                                                     \
  static void OTASIM_PLUGIN_BODY_NAME(::otasim::Registrar& registrar);                 \
  int OTASIM_BUILTIN_REGISTER(::otasim::Registrar* registrar, char* error,             \
                              std::size_t error_size) noexcept {                      \
    return ::otasim::detail::RunRegistration(&OTASIM_PLUGIN_BODY_NAME, registrar, error, \
                                             error_size);                              \
  }                                                                                    \
  static void OTASIM_PLUGIN_BODY_NAME([[maybe_unused]] ::otasim::Registrar& registrar)
#else
// A loadable .so: the two C symbols the host looks up with dlsym.
#define OTASIM_PLUGIN(id, version)                                                        \
  static void OTASIM_PLUGIN_BODY_NAME(::otasim::Registrar& registrar);                    \
  extern "C" __attribute__((visibility("default"))) const OtasimPluginInfo*               \
  otasim_plugin_query() {                                                                 \
    static const OtasimPluginInfo info{sizeof(OtasimPluginInfo), OTASIM_ABI_MAJOR,        \
                                       OTASIM_ABI_MINOR, id, version,                      \
                                       OTASIM_BUILD_FINGERPRINT};                          \
    return &info;                                                                         \
  }                                                                                       \
  extern "C" __attribute__((visibility("default"))) int otasim_plugin_register(           \
      ::otasim::Registrar* registrar, char* error, std::size_t error_size) {              \
    return ::otasim::detail::RunRegistration(&OTASIM_PLUGIN_BODY_NAME, registrar, error,    \
                                             error_size);                                 \
  }                                                                                       \
  static void OTASIM_PLUGIN_BODY_NAME([[maybe_unused]] ::otasim::Registrar& registrar)
#endif
