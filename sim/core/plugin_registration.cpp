// The part of plugin registration that runs inside the plugin: exceptions never cross the
// boundary, they become an error message for the host.
#include <cstdio>
#include <cstring>
#include <exception>

#include "otasim/plugin.hpp"

namespace otasim {

std::string_view PluginKindName(PluginKind kind) noexcept {
  switch (kind) {
    case PluginKind::kServer: return "server";
    case PluginKind::kAttacker: return "attacker";
    case PluginKind::kFault: return "fault";
    case PluginKind::kFormat: return "format";
  }
  return "unknown";
}

namespace detail {

int RunRegistration(void (*body)(Registrar&), Registrar* registrar, char* error,
                    std::size_t error_size) noexcept {
  auto report = [&](const char* message) {
    if (error != nullptr && error_size > 0) std::snprintf(error, error_size, "%s", message);
  };
  if (registrar == nullptr) {
    report("no registrar given");
    return 1;
  }
  try {
    body(*registrar);
    return 0;
  } catch (const std::exception& e) {
    report(e.what());
  } catch (...) {
    report("unknown exception during registration");
  }
  return 1;
}

}  // namespace detail
}  // namespace otasim
