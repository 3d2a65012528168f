// Evidence capture for server.http-poll: each connection becomes one TCP flow of the session's
// capture, with the request and the response as the server handled them (heads rebuilt from the
// parsed request and the response given to the transport, bodies as actually written, capped
// by the capture). A cut or failed body ends the flow with a RST.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "http_types.hpp"
#include "otasim/capture.hpp"

namespace otasim::servers::http_poll {

class HttpCapture {
 public:
  // capture may be nullptr: then Tap returns the response unchanged.
  explicit HttpCapture(PacketCapture* capture) : capture_(capture) {}
  ~HttpCapture();  // flows still open end with a FIN

  // Records the request, and arranges for the response's head and body to be recorded as the
  // transport writes them. Call with every response, on the server thread.
  http::Response Tap(const http::Request& request, http::Response response);

 private:
  std::uint64_t FlowFor(const http::Request& request);
  void EndFlow(std::uint64_t connection_id, bool reset);

  PacketCapture* capture_;
  std::mutex mutex_;
  std::map<std::uint64_t, std::uint64_t> flows_;  // connection id -> capture flow
};

}  // namespace otasim::servers::http_poll
