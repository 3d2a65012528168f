// An HTTP/1.1 server (plain or TLS) on Boost.Beast: one listener, one session per connection,
// every read and write with a deadline, streamed response bodies. Runs on its own thread.
#pragma once

#include <memory>
#include <string>

#include "http_types.hpp"

namespace otasim::http {

class Server {
 public:
  virtual ~Server() = default;
  virtual std::uint16_t port() const = 0;
  virtual std::string BaseUrl() const = 0;  // "https://127.0.0.1:40123"
  // Closes the listener and every connection, joins the thread. Idempotent.
  virtual void Stop() = 0;
};

// The handler runs on the server thread; it must not block for long, and must not call Stop().
// Request header fields larger than max_header_bytes get 431, bodies larger than
// max_request_body get 413, malformed requests get 400; each closes the connection.
Result<std::unique_ptr<Server>> StartServer(const ServerOptions& options, Handler handler);

}  // namespace otasim::http
