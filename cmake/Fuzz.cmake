# libFuzzer targets (tests/fuzz, scripts/fuzz). With OTASIM_FUZZ=ON and clang, the default build
# is only the fuzzers: each compiles the few sources it exercises with coverage and ASan + UBSan,
# so that CI does not rebuild the whole engine with clang.
option(OTASIM_FUZZ "Build only the libFuzzer targets (needs clang)" OFF)
if(NOT OTASIM_FUZZ)
  return()
endif()
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "OTASIM_FUZZ needs clang (CMAKE_CXX_COMPILER=clang++), not ${CMAKE_CXX_COMPILER_ID}")
endif()

set(fuzz_sanitizers -fsanitize=address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer)

# The SDK sources every fuzzer needs (core utilities, crypto, manifest), instrumented once.
file(GLOB fuzz_sdk_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/sim/core/*.cpp
     ${PROJECT_SOURCE_DIR}/sim/crypto/*.cpp ${PROJECT_SOURCE_DIR}/sim/manifest/*.cpp)
add_library(otasim_fuzz_sdk STATIC ${fuzz_sdk_sources})
target_include_directories(otasim_fuzz_sdk PUBLIC ${PROJECT_SOURCE_DIR}/sim/sdk/include)
target_compile_options(otasim_fuzz_sdk PUBLIC ${fuzz_sanitizers} PRIVATE -fsanitize=fuzzer-no-link)
target_link_options(otasim_fuzz_sdk PUBLIC -fsanitize=address,undefined)
target_link_libraries(otasim_fuzz_sdk PUBLIC nlohmann_json::nlohmann_json OpenSSL::Crypto
                      Threads::Threads)

add_custom_target(otasim_fuzzers ALL)

# otasim_fuzzer(NAME SOURCES <files relative to the source root> LIBRARIES <libs>)
function(otasim_fuzzer name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES;INCLUDES" ${ARGN})
  list(TRANSFORM ARG_SOURCES PREPEND "${PROJECT_SOURCE_DIR}/")
  list(TRANSFORM ARG_INCLUDES PREPEND "${PROJECT_SOURCE_DIR}/")
  add_executable(${name}_fuzzer ${PROJECT_SOURCE_DIR}/tests/fuzz/${name}_fuzzer.cpp ${ARG_SOURCES})
  target_include_directories(${name}_fuzzer PRIVATE ${ARG_INCLUDES})
  target_compile_options(${name}_fuzzer PRIVATE -fsanitize=fuzzer)
  target_link_options(${name}_fuzzer PRIVATE -fsanitize=fuzzer)
  target_link_libraries(${name}_fuzzer PRIVATE otasim_fuzz_sdk ${ARG_LIBRARIES})
  set_target_properties(${name}_fuzzer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
  add_dependencies(otasim_fuzzers ${name}_fuzzer)
endfunction()

otasim_fuzzer(manifest)
otasim_fuzzer(config
  SOURCES sim/scenario/yaml_reader.cpp sim/scenario/scenario_loader.cpp sim/target/profile.cpp
          sim/target/template_values.cpp sim/scoring/grading.cpp
          tests/fuzz/support/registry_stub.cpp
  INCLUDES sim
  LIBRARIES yaml-cpp)
otasim_fuzzer(http
  SOURCES sim/transport/http/request_parsing.cpp sim/transport/http/types.cpp
          plugins/servers/http_poll/route.cpp plugins/servers/common/status_report.cpp
  INCLUDES sim/transport/http plugins/servers
  LIBRARIES Boost::headers)
otasim_fuzzer(coap
  SOURCES sim/transport/coap/libcoap_util.cpp sim/transport/coap/types.cpp
          plugins/servers/coap_poll/asked_block.cpp plugins/servers/coap_poll/update_result.cpp
          plugins/servers/coap_poll/utf8.cpp plugins/servers/common/status_report.cpp
  INCLUDES sim/transport/coap plugins/servers
  LIBRARIES PkgConfig::COAP)
otasim_fuzzer(mqtt
  SOURCES plugins/servers/mqtt_jobs/job_messages.cpp plugins/servers/common/status_report.cpp
          targets/reference/mqtt_job.cpp
  INCLUDES plugins/servers targets)

# Everything else the project defines stays out of the default build of a fuzz tree.
function(otasim_fuzz_exclude_rest)
  foreach(dir sim plugins targets bench tests)
    if(IS_DIRECTORY ${PROJECT_SOURCE_DIR}/${dir})
      get_property(added DIRECTORY ${PROJECT_SOURCE_DIR} PROPERTY SUBDIRECTORIES)
      if("${PROJECT_SOURCE_DIR}/${dir}" IN_LIST added)
        set_property(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir} PROPERTY EXCLUDE_FROM_ALL ON)
      endif()
    endif()
  endforeach()
endfunction()
cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR} CALL otasim_fuzz_exclude_rest)
