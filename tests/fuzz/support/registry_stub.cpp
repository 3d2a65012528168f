// The config fuzzer loads scenarios without a plugin registry (ValidationContext::registry is
// null), so no Registry member is ever called; these definitions only satisfy the linker (UBSan
// also wants the class's typeinfo, emitted with its first virtual function), so that the fuzz
// build does not compile the plugin host and every built-in plugin.
#include <cstdlib>

#include "plugin_host/registry.hpp"

namespace otasim::plugin_host {

Result<const RegisteredType*> Registry::Require(std::string_view, std::optional<PluginKind>) const {
  std::abort();
}

void Registry::AddAttacker(TypeInfo, AttackerFactory) { std::abort(); }
void Registry::AddFault(TypeInfo, FaultFactory) { std::abort(); }
void Registry::AddServer(TypeInfo, ServerFactory) { std::abort(); }
void Registry::AddFormat(TypeInfo, FormatFactory) { std::abort(); }

}  // namespace otasim::plugin_host
