# What the fuzz regression tests (tests/unit/fuzz_regressions) link in the ordinary build: each
# includes its fuzzer's source, so it needs what that fuzzer exercises. The reference device has
# no library, so its MQTT job parser is compiled here once.
add_library(otasim_test_fuzz_regressions STATIC ${PROJECT_SOURCE_DIR}/targets/reference/mqtt_job.cpp)
target_include_directories(otasim_test_fuzz_regressions PUBLIC ${PROJECT_SOURCE_DIR}/sim
                           ${PROJECT_SOURCE_DIR}/plugins/servers ${PROJECT_SOURCE_DIR}/targets)
target_link_libraries(otasim_test_fuzz_regressions PUBLIC otasim_test_support otasim_coap
                      otasim_server_common PkgConfig::COAP)
