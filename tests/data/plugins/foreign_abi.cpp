// A plugin that claims a newer plugin ABI than this otasim has: the host must refuse it before
// calling anything else in it.
#include "otasim/plugin.hpp"

extern "C" __attribute__((visibility("default"))) const OtasimPluginInfo* otasim_plugin_query() {
  static const OtasimPluginInfo info{sizeof(OtasimPluginInfo), OTASIM_ABI_MAJOR + 1, 0,
                                     "test.foreign-abi", "1.0.0", OTASIM_BUILD_FINGERPRINT};
  return &info;
}

extern "C" __attribute__((visibility("default"))) int otasim_plugin_register(
    otasim::Registrar*, char* error, std::size_t error_size) {
  // Never reached: the host refuses first. Fail loudly if it ever is.
  if (error_size > 0) error[0] = '\0';
  return 99;
}
