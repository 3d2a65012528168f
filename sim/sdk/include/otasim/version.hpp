// Versions that decide whether a plugin may be loaded into this host.
#pragma once

#define OTASIM_VERSION_STRING "0.1.0"
// Major: bumped when an interface changes incompatibly (adding a virtual function counts).
#define OTASIM_ABI_MAJOR 3
// Minor: bumped when something is added compatibly; a plugin's minor must be <= the host's.
#define OTASIM_ABI_MINOR 1

#define OTASIM_STRINGIFY_INNER(x) #x
#define OTASIM_STRINGIFY(x) OTASIM_STRINGIFY_INNER(x)

#if defined(__SANITIZE_ADDRESS__)
#define OTASIM_FINGERPRINT_SAN "asan"
#else
#define OTASIM_FINGERPRINT_SAN "nosan"
#endif

// C++ objects cross the plugin boundary, so host and plugin must agree on compiler, standard
// library ABI, C++ standard, sanitizer instrumentation and the JSON library's version.
#define OTASIM_BUILD_FINGERPRINT                                                        \
  "otasim-" OTASIM_VERSION_STRING ";cxx=" __VERSION__ ";std=" OTASIM_STRINGIFY(__cplusplus) \
  ";glibcxx-abi=" OTASIM_STRINGIFY(_GLIBCXX_USE_CXX11_ABI) ";json=" OTASIM_STRINGIFY(       \
      NLOHMANN_JSON_VERSION_MAJOR) "." OTASIM_STRINGIFY(NLOHMANN_JSON_VERSION_MINOR)         \
  ";" OTASIM_FINGERPRINT_SAN
