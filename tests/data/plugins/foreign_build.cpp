// A plugin with the right ABI but another build fingerprint (another compiler or standard
// library would lay C++ objects out differently): refused.
#include "otasim/plugin.hpp"

extern "C" __attribute__((visibility("default"))) const OtasimPluginInfo* otasim_plugin_query() {
  static const OtasimPluginInfo info{sizeof(OtasimPluginInfo), OTASIM_ABI_MAJOR, OTASIM_ABI_MINOR,
                                     "test.foreign-build", "1.0.0", "otasim-0.0.1;cxx=other"};
  return &info;
}

extern "C" __attribute__((visibility("default"))) int otasim_plugin_register(
    otasim::Registrar*, char* error, std::size_t error_size) {
  if (error_size > 0) error[0] = '\0';
  return 99;
}
