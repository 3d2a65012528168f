// A small CoAP client (plain or DTLS 1.2) on libcoap for the reference device and tests. One
// client is one session to one server; every exchange has a deadline and so has the session.
// Not thread-safe: libcoap's I/O runs in the calling thread, inside each call.
#pragma once

#include <memory>
#include <string>

#include "coap_types.hpp"

namespace otasim::coap {

// Errors of every call:
//  - kTimeout: no response by the exchange or session deadline. A DTLS handshake that never
//    completes (a wrong PSK is only noticed this way: the server silently drops records it
//    cannot decrypt) is a timeout too; its message says the handshake did not complete.
//  - kCrypto: the DTLS handshake failed (a certificate did not verify, an unknown PSK identity);
//    the session stays failed.
//  - kNetwork: the server reset the exchange or the datagram could not be delivered.
//  - kProtocol: a response that breaks block-wise transfer (wrong block number).
// Any CoAP response, 4.xx and 5.xx included, is a value: look at ClientResponse::code.
class Client {
 public:
  virtual ~Client() = default;

  virtual Result<ClientResponse> Get(const std::string& path, const std::string& query = "") = 0;
  // The payload must fit one datagram (no Block1): about 1 KiB.
  virtual Result<ClientResponse> Post(const std::string& path, const std::string& payload,
                                      std::optional<unsigned> content_format = std::nullopt,
                                      const std::string& query = "") = 0;
  // GET, block by block from request.start_block, each block to the sink as it arrives. An
  // error response ends the download with its code (complete stays false). A transport error
  // ends it as an error; the sink has seen every block before it, so the caller can resume.
  virtual Result<BlockwiseResult> GetBlockwise(const BlockwiseRequest& request,
                                               const BlockSink& sink) = 0;
};

// Creates the session (for DTLS, the handshake starts here and completes within the first
// exchange's deadline). `host` is a numeric IPv4 or IPv6 address.
Result<std::unique_ptr<Client>> Connect(const std::string& host, std::uint16_t port,
                                        const ClientOptions& options);

}  // namespace otasim::coap
