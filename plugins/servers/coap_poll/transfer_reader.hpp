// Reads an image delivery block by block for a CoAP transfer. A source only reads forward, but
// the server reads one byte beyond each block (to know whether more follow) and must answer a
// retransmitted request for the same block again: so the bytes from the last read offset on
// stay in a small window until a later offset is asked for.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "otasim/byte_source.hpp"
#include "otasim/result.hpp"

namespace otasim::servers::coap_poll {

class TransferReader {
 public:
  // `source` holds the bytes from `start` on.
  TransferReader(ByteSourcePtr source, std::uint64_t start)
      : source_(std::move(source)), window_start_(start) {}

  // Up to `count` bytes at `offset` (fewer at the end of the source). `offset` may repeat the
  // previous read's offset or move forward within what was read; never backward.
  Result<std::string> Read(std::uint64_t offset, std::size_t count);

 private:
  ByteSourcePtr source_;
  std::uint64_t window_start_;
  std::string window_;  // source bytes from window_start_ on, read but not yet passed
  bool ended_ = false;  // the source returned 0
};

}  // namespace otasim::servers::coap_poll
