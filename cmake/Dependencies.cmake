# All dependencies come from Debian 12 packages (see scripts/setup).
find_package(Threads REQUIRED)
find_package(OpenSSL 3.0 REQUIRED)
find_package(Boost 1.81 CONFIG REQUIRED COMPONENTS unit_test_framework)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(CLI11 REQUIRED)
# libcoap ships no CMake config; the OpenSSL variant gives DTLS (see STACK.md).
find_package(PkgConfig REQUIRED)
pkg_check_modules(COAP REQUIRED IMPORTED_TARGET libcoap-3-openssl)
find_package(PahoMqttCpp REQUIRED)
