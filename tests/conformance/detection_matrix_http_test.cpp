#define BOOST_TEST_MODULE detection_matrix_http
#define OTASIM_MATRIX_PROTOCOL "http"
#include "conformance/detection_matrix_cases.hpp"
