// One byte stream made of several, read in order: a single-file release is the rendered head,
// the image as the attackers delivered it, then the tail.
#pragma once

#include <vector>

#include "otasim/byte_source.hpp"

namespace otasim::servers {

// Length() is the sum when every part knows its length, else nullopt (an endless image).
ByteSourcePtr ConcatSource(std::vector<ByteSourcePtr> parts);

}  // namespace otasim::servers
