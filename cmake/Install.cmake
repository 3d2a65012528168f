# `cmake --install BUILD --prefix P`: the SDK (headers, libotasim_sdk.so, CMake package), the
# otasim and otasim-device programs, and the data otasim needs at run time. The per-target
# install() lines live beside their targets; this file installs the rest.
# Fixed, not GNUInstallDirs: the programs find lib/ through RPATH $ORIGIN/../lib, and otasim
# finds its data in bin/../share/otasim (sim/cli/data_dirs.cpp).
include(CMakePackageConfigHelpers)
set(CMAKE_INSTALL_BINDIR bin)
set(OTASIM_INSTALL_DATADIR share/otasim)
set(otasim_cmake_dir lib/cmake/otasim)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/sim/sdk/include/otasim DESTINATION include
        COMPONENT sdk FILES_MATCHING PATTERN "*.hpp")

# Data: the scenario library, requirement catalogue, grading profiles and suites, and the
# reference device's target profile (its command is {bin_dir}/otasim-device).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/scenarios/ DESTINATION ${OTASIM_INSTALL_DATADIR}/scenarios
        COMPONENT data)
install(FILES ${PROJECT_SOURCE_DIR}/targets/profiles/reference.yaml
        DESTINATION ${OTASIM_INSTALL_DATADIR}/targets/profiles COMPONENT data)
install(FILES ${PROJECT_SOURCE_DIR}/targets/PROTOCOL.md DESTINATION ${OTASIM_INSTALL_DATADIR}/targets
        COMPONENT data)
# The plugin examples and the guide: a researcher with only an installation can copy one.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/plugins/examples/ DESTINATION ${OTASIM_INSTALL_DATADIR}/examples
        COMPONENT sdk PATTERN "build*" EXCLUDE)
install(FILES ${PROJECT_SOURCE_DIR}/docs/plugin-guide.md DESTINATION share/doc/otasim COMPONENT sdk)

# The CMake package.
file(STRINGS ${PROJECT_SOURCE_DIR}/sim/sdk/include/otasim/version.hpp abi_lines
     REGEX "^#define OTASIM_ABI_(MAJOR|MINOR) [0-9]+$")
foreach(line IN LISTS abi_lines)
  if(line MATCHES "^#define (OTASIM_ABI_[A-Z]+) ([0-9]+)$")
    set(${CMAKE_MATCH_1} ${CMAKE_MATCH_2})
  endif()
endforeach()
if(OTASIM_SANITIZE)
  set(OTASIM_SANITIZE ON)
else()
  set(OTASIM_SANITIZE OFF)
endif()
install(EXPORT otasimTargets NAMESPACE otasim:: DESTINATION ${otasim_cmake_dir} COMPONENT sdk)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/otasimConfig.cmake.in
  ${PROJECT_BINARY_DIR}/package/otasimConfig.cmake
  INSTALL_DESTINATION ${otasim_cmake_dir}
  PATH_VARS CMAKE_INSTALL_BINDIR OTASIM_INSTALL_DATADIR)
# 0.x: a new minor version may change the SDK incompatibly.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/package/otasimConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/package/otasimConfig.cmake
              ${PROJECT_BINARY_DIR}/package/otasimConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/OtasimPlugin.cmake
        DESTINATION ${otasim_cmake_dir} COMPONENT sdk)
