#define BOOST_TEST_MODULE detection_matrix_coap
#define OTASIM_MATRIX_PROTOCOL "coap"
#include "conformance/detection_matrix_cases.hpp"
