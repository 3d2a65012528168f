// Byte-source wrappers the content attackers compose: flip a bit, append or cut bytes, hide the
// length. Each takes ownership of the source it wraps and streams; nothing is held whole.
#pragma once

#include <cstdint>
#include <optional>

#include "otasim/byte_source.hpp"
#include "otasim/session.hpp"

namespace otasim::attackers {

// XORs `mask` into the byte at `position`, counted from the start of `inner`.
ByteSourcePtr FlipBits(ByteSourcePtr inner, std::uint64_t position, std::uint8_t mask);

// Pseudo-random bytes reproducible from `seed`; `length` nullopt: the stream never ends.
ByteSourcePtr RandomBytes(std::uint64_t seed, std::optional<std::uint64_t> length);

// `first`, then `second`.
ByteSourcePtr Concat(ByteSourcePtr first, ByteSourcePtr second);

// At most the first `limit` bytes of `inner`.
ByteSourcePtr Truncate(ByteSourcePtr inner, std::uint64_t limit);

// The same bytes with Length() nullopt, so that no length is announced.
ByteSourcePtr HideLength(ByteSourcePtr inner);

// The size of a release's image file (the manifest's image.size if the file can't be read).
std::uint64_t ImageSize(const Release& release);

}  // namespace otasim::attackers
