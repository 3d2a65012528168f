// A CoAP(S) relay between the device and the genuine server, as an on-path attacker runs it:
// towards the device a CoAP server on a free loopback UDP port (DTLS with the attacker's
// certificate, or plain CoAP), towards the genuine server a CoAP(S) client that verifies the
// genuine CA and the server's name. Each request is forwarded with the same method, path,
// query, payload and Block2 block, and the genuine answer returned.
//
// The device's datagrams pass through a small UDP front (the port the device is given) before
// they reach the relay's CoAP server: it reads the DTLS record headers (never decrypting), so
// the log can say how the device's handshake went — completed, refused with an alert (sent in
// the clear before the handshake completes), or abandoned without one.
//
// Options are TcpRelay's RelayOptions; byte edits, trickle and canned responses are not
// supported over CoAP (Start refuses them). Every wait has a deadline: each upstream exchange
// `timeout`, and a device flow ends after `timeout` without a datagram.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "otasim/result.hpp"
#include "tcp_relay.hpp"

namespace otasim::proxy {

class CoapRelay {
 public:
  static Result<std::unique_ptr<CoapRelay>> Start(RelayOptions options);
  ~CoapRelay();
  CoapRelay(const CoapRelay&) = delete;
  CoapRelay& operator=(const CoapRelay&) = delete;

  std::uint16_t port() const;  // the UDP port the device is pointed at
  // Ends every device flow (logging it), stops the CoAP server and the front; idempotent.
  void Stop() noexcept;
  // Counts over all flows so far, as TcpRelay::Summary (connections = device flows).
  nlohmann::json Summary() const;
  // Every flow record so far: one per device address, written when it ends (idle or Stop).
  std::vector<nlohmann::json> Connections() const;

  struct Impl;

 private:
  explicit CoapRelay(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace otasim::proxy
