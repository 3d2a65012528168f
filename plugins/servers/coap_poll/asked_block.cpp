#include "asked_block.hpp"

#include <algorithm>

namespace otasim::servers::coap_poll {

std::optional<AskedBlock> AskedBlockOf(const coap::Request& request, unsigned server_szx) {
  coap::Block block;
  block.szx = server_szx;
  if (request.block2) {
    block.szx = std::min(request.block2->szx, server_szx);
    std::uint64_t num = std::uint64_t{request.block2->num} << (request.block2->szx - block.szx);
    if (num >= (1u << 20)) return std::nullopt;
    block.num = static_cast<std::uint32_t>(num);
  }
  return AskedBlock{block.Offset(), block.Size(), request.block2.has_value()};
}

}  // namespace otasim::servers::coap_poll
