// Slow retrieval (ImageDelivery::trickle_bytes_per_second): image bytes paced to a rate, so that
// a device which never gives up keeps waiting. Shared by the three server models.
#pragma once

#include <cstdint>

#include "otasim/attacker.hpp"
#include "otasim/byte_source.hpp"

namespace otasim::servers {

// The bytes of `inner` at most `bytes_per_second` per second, after the first `free_bytes` at
// full speed. Read() blocks until its bytes are due and returns small slices (about a tenth of a
// second's worth), so the caller's own loop keeps noticing a peer that went away.
ByteSourcePtr PacedSource(ByteSourcePtr inner, std::uint64_t bytes_per_second,
                          std::uint64_t free_bytes = 0);

// The slice a paced transfer sends at a time: a tenth of a second's worth, at least 16 bytes.
std::uint64_t TrickleSlice(std::uint64_t bytes_per_second);

// Wraps delivery.source when the delivery asks for a trickle; returns whether it did.
bool ApplyTrickle(ImageDelivery& delivery);

}  // namespace otasim::servers
