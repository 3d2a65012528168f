// Evidence captures: what a server model or an on-path proxy exchanged with the device, as
// decrypted application bytes, written by the session as a pcapng file Wireshark can read.
#pragma once

#include <cstdint>
#include <string_view>

namespace otasim {

enum class CaptureDirection { kToServer, kToDevice };

class PacketCapture {
 public:
  virtual ~PacketCapture() = default;
  // Starts one conversation. transport: "tcp" or "udp"; app: "http", "coap" or "mqtt" (picks
  // the well-known port so that dissectors apply); label: a comment shown in Wireshark.
  // Returns a flow id (0 when capturing is off or failed; Record/CloseFlow ignore 0).
  virtual std::uint64_t OpenFlow(std::string_view transport, std::string_view app,
                                 std::string_view label) noexcept = 0;
  // Bytes sent in one direction. original_length > bytes.size() records that the capture kept
  // only a prefix (large bodies are capped, never held whole).
  virtual void Record(std::uint64_t flow, CaptureDirection direction, std::string_view bytes,
                      std::uint64_t original_length) noexcept = 0;
  // Ends the conversation: reset = the connection was cut rather than closed cleanly.
  virtual void CloseFlow(std::uint64_t flow, bool reset) noexcept = 0;
};

}  // namespace otasim
