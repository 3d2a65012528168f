// Loading external plugins: dlopen, then the ABI and build-fingerprint checks of DESIGN §4
// before any C++ object crosses the boundary.
#include <dlfcn.h>

#include <algorithm>
#include <cstddef>

#include "otasim/crypto.hpp"
#include "plugin_host/registry.hpp"

namespace otasim::plugin_host {

Status CheckCompatibility(const OtasimPluginInfo& info, const std::string& path) {
  const std::string host_abi =
      std::to_string(OTASIM_ABI_MAJOR) + "." + std::to_string(OTASIM_ABI_MINOR);
  const std::string plugin_abi =
      std::to_string(info.abi_major) + "." + std::to_string(info.abi_minor);
  const std::string rebuild = "; rebuild the plugin against this otasim's SDK";
  if (info.abi_major != OTASIM_ABI_MAJOR || info.abi_minor > OTASIM_ABI_MINOR) {
    return MakeError(Errc::kPlugin, "refusing " + path + ": built for otasim plugin ABI " +
                                        plugin_abi + ", this otasim has ABI " + host_abi +
                                        rebuild);
  }
  const std::string host_fingerprint = OTASIM_BUILD_FINGERPRINT;
  const std::string plugin_fingerprint =
      info.build_fingerprint != nullptr ? info.build_fingerprint : "(none)";
  if (plugin_fingerprint != host_fingerprint) {
    return MakeError(Errc::kPlugin, "refusing " + path + ": plugin build '" +
                                        plugin_fingerprint + "' differs from otasim build '" +
                                        host_fingerprint + "'" + rebuild);
  }
  if (info.plugin_id == nullptr || *info.plugin_id == '\0' || info.plugin_version == nullptr) {
    return MakeError(Errc::kPlugin, "refusing " + path + ": plugin has no id or version");
  }
  return {};
}

Status Registry::LoadFile(const std::filesystem::path& path) {
  const std::string name = path.string();
  // Plugins stay loaded for the life of the process: their types may be in use anywhere.
  void* handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return MakeError(Errc::kPlugin, "cannot load " + name + ": " + (why ? why : "unknown error"));
  }
  auto query = reinterpret_cast<OtasimPluginQueryFn>(dlsym(handle, "otasim_plugin_query"));
  auto register_fn =
      reinterpret_cast<OtasimPluginRegisterFn>(dlsym(handle, "otasim_plugin_register"));
  if (query == nullptr || register_fn == nullptr) {
    dlclose(handle);
    return MakeError(Errc::kPlugin, "refusing " + name +
                                        ": not an otasim plugin (otasim_plugin_query or "
                                        "otasim_plugin_register missing)");
  }
  const OtasimPluginInfo* info = query();
  if (info == nullptr ||
      info->struct_size < offsetof(OtasimPluginInfo, build_fingerprint) + sizeof(const char*)) {
    dlclose(handle);
    return MakeError(Errc::kPlugin, "refusing " + name + ": malformed plugin info block");
  }
  if (Status compatible = CheckCompatibility(*info, name); !compatible) {
    dlclose(handle);
    return compatible;
  }
  OTASIM_TRY(std::string digest, crypto::Sha256FileHex(path));
  PluginOrigin origin{info->plugin_id, info->plugin_version, name, digest};
  return Register(register_fn, origin);
}

Status Registry::LoadDirectory(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return MakeError(Errc::kNotFound, "plugin directory " + dir.string() + " does not exist");
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".so") files.push_back(entry.path());
  }
  if (ec) return MakeError(Errc::kIo, "reading " + dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) OTASIM_CHECK(LoadFile(file));
  return {};
}

}  // namespace otasim::plugin_host
