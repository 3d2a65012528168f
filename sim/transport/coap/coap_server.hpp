// A CoAP server (plain or DTLS 1.2) on libcoap: one UDP endpoint on a free loopback port, every
// request given to one handler, large bodies served block-wise (Block2). Runs on its own thread.
#pragma once

#include <memory>
#include <string>

#include "coap_types.hpp"

namespace otasim::coap {

class Server {
 public:
  virtual ~Server() = default;
  virtual std::uint16_t port() const = 0;
  virtual bool secure() const = 0;
  virtual std::string BaseUri() const = 0;  // "coaps://127.0.0.1:40123"
  // Stops the I/O loop (it wakes at least every 100 ms), joins the thread and frees every
  // session. Idempotent.
  virtual void Stop() = 0;
};

// Errors from the stack never reach the handler: a payload larger than max_request_payload gets
// 4.13, a malformed Block2 option 4.02 (4.00 for the reserved size), a block beyond the end of
// a body 4.02; libcoap itself drops unparsable datagrams and answers unknown critical options
// with 4.02.
Result<std::unique_ptr<Server>> StartServer(const ServerOptions& options, Handler handler);

}  // namespace otasim::coap
