// A plugin whose registration throws: the exception must not cross into the host.
#include <stdexcept>

#include "otasim/plugin.hpp"

OTASIM_PLUGIN("test.throwing", "0.1.0") {
  throw std::runtime_error("registration exploded on purpose");
}
