#include "transfer_reader.hpp"

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace otasim::servers::coap_poll {

Result<std::string> TransferReader::Read(std::uint64_t offset, std::size_t count) {
  if (offset < window_start_ || offset - window_start_ > window_.size()) {
    return MakeError(Errc::kInternal,
                     "transfer read at " + std::to_string(offset) + " outside the window [" +
                         std::to_string(window_start_) + ", " +
                         std::to_string(window_start_ + window_.size()) + "]");
  }
  window_.erase(0, static_cast<std::size_t>(offset - window_start_));
  window_start_ = offset;
  std::vector<std::uint8_t> chunk;
  while (window_.size() < count && !ended_) {
    chunk.resize(count - window_.size());
    OTASIM_TRY(std::size_t got, source_->Read(chunk));
    if (got == 0) ended_ = true;
    window_.append(reinterpret_cast<const char*>(chunk.data()), std::min(got, chunk.size()));
  }
  return window_.substr(0, std::min(count, window_.size()));
}

}  // namespace otasim::servers::coap_poll
