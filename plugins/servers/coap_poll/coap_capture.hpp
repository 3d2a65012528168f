// Evidence capture for server.coap-poll: each device endpoint (one DTLS session, or one UDP
// source port for plain CoAP) becomes one UDP flow to port 5683 of the session's capture, with
// every request and its answer as one datagram each, as the transport saw them (decrypted,
// re-encoded from the parsed messages).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "coap_types.hpp"
#include "otasim/capture.hpp"

namespace otasim::servers::coap_poll {

class CoapCapture {
 public:
  // capture may be nullptr: then nothing is recorded.
  explicit CoapCapture(PacketCapture* capture) : capture_(capture) {}
  ~CoapCapture();  // ends every flow

  // The transport's exchange observer (coap::ServerOptions::observer): server thread only.
  void Record(const coap::Request& request, std::string_view request_datagram,
              std::string_view response_datagram) noexcept;

 private:
  PacketCapture* capture_;
  std::map<std::string, std::uint64_t> flows_;  // device endpoint ("127.0.0.1:5555") -> flow
};

}  // namespace otasim::servers::coap_poll
