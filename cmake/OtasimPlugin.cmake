# otasim_add_plugin(<target> SOURCES <file>... [LIBRARIES <lib>...])
#
# Builds an external otasim plugin: a MODULE library lib<target>.so that `otasim --plugin-dir`
# loads. The flags are the ones the host's load checks need (DESIGN §4, otasim/plugin.hpp):
# exactly C++20 (the build fingerprint names __cplusplus), hidden visibility (only the two
# OTASIM_PLUGIN symbols are exported), and the SDK's own sanitizer instrumentation.
include_guard(GLOBAL)

function(otasim_add_plugin target)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "otasim_add_plugin(${target}): SOURCES is required")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "otasim_add_plugin(${target}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE otasim::sdk ${ARG_LIBRARIES})
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    CXX_STANDARD 20
    CXX_STANDARD_REQUIRED ON
    CXX_EXTENSIONS OFF
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(otasim_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  # The host refuses a plugin whose compiler differs (the fingerprint holds __VERSION__): say so
  # now rather than at load time.
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL otasim_CXX_COMPILER_ID OR
     NOT CMAKE_CXX_COMPILER_VERSION VERSION_EQUAL otasim_CXX_COMPILER_VERSION)
    message(WARNING "otasim_add_plugin(${target}): compiler ${CMAKE_CXX_COMPILER_ID} "
                    "${CMAKE_CXX_COMPILER_VERSION} differs from the one otasim was built with "
                    "(${otasim_CXX_COMPILER_ID} ${otasim_CXX_COMPILER_VERSION}); otasim will refuse "
                    "to load the plugin. Configure with -DCMAKE_CXX_COMPILER=${otasim_CXX_COMPILER}")
  endif()
endfunction()
