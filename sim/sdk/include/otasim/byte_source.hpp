// A pull stream of bytes: how images travel from disk to the network without being held whole.
// Attackers wrap sources to flip bits, append data or never end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>

#include "otasim/result.hpp"

namespace otasim {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Fills up to out.size() bytes; returns how many. 0 means the end of the stream.
  virtual Result<std::size_t> Read(std::span<std::uint8_t> out) = 0;
  // Total length if known in advance (a Content-Length), nullopt for an open-ended stream.
  virtual std::optional<std::uint64_t> Length() const = 0;
};

using ByteSourcePtr = std::unique_ptr<ByteSource>;

// `length` bytes of a file from `offset` (length nullopt: to the end of the file).
Result<ByteSourcePtr> OpenFileSource(const std::filesystem::path& path, std::uint64_t offset = 0,
                                     std::optional<std::uint64_t> length = std::nullopt);
ByteSourcePtr MemorySource(std::string bytes);

}  // namespace otasim
