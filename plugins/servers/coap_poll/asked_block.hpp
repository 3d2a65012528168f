// The block a CoAP request asks for, as the transport answers it. Pure, so that it is fuzzed
// together with the PDU parsing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "coap_types.hpp"

namespace otasim::servers::coap_poll {

struct AskedBlock {
  std::uint64_t offset = 0;
  std::size_t size = 0;
  bool explicit_block = false;  // the request carried a Block2 option
};

// In the server's block size when the device asked for a larger one (RFC 7959 §2.4). nullopt:
// the renumbered block number does not fit the option (the transport's own check, made here
// before any transfer starts).
std::optional<AskedBlock> AskedBlockOf(const coap::Request& request, unsigned server_szx);

}  // namespace otasim::servers::coap_poll
