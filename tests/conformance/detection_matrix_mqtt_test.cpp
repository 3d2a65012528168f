#define BOOST_TEST_MODULE detection_matrix_mqtt
#define OTASIM_MATRIX_PROTOCOL "mqtt"
#include "conformance/detection_matrix_cases.hpp"
