// The session's PacketCapture: conversations of application bytes written as synthesized
// IPv4 TCP/UDP packets to one pcapng file, on the well-known plaintext ports (http 80, coap 5683,
// mqtt 1883) so that Wireshark's default dissectors apply. Thread-safe; streams to disk.
//
// TCP flows get a three-way handshake, sequence and acknowledgement numbers per direction, and
// a FIN exchange or a RST at the end. Payload is split into segments of at most kMaxTcpPayload
// bytes; past `max_kept_bytes` per flow and direction only packet headers are kept (captured
// length < original length), so a large image never makes a large file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "otasim/capture.hpp"
#include "otasim/result.hpp"
#include "packet_builder.hpp"
#include "pcapng_writer.hpp"

namespace otasim::capture {

struct CaptureOptions {
  std::string user_application = "otasim";  // shb_userappl
  std::string comment;                        // the section's comment: scenario, protocol
  std::uint64_t max_kept_bytes = 1 << 20;     // payload kept per flow and direction
  // UDP datagrams past the cap keep this much of their payload (a CoAP header and options).
  std::size_t udp_kept_beyond_cap = 64;
  // Called once with the first write error (the capture is off from then on), and for each
  // flow a caller asked for with an unknown transport or app.
  std::function<void(const Error&)> on_error;
};

struct CaptureStats {
  std::uint64_t flows = 0;
  std::uint64_t packets = 0;
  std::uint64_t file_bytes = 0;
  std::uint64_t payload_bytes = 0;  // application bytes recorded (kept or not)
  std::uint64_t elided_bytes = 0;   // of which not kept
};

class FileCapture final : public PacketCapture {
 public:
  static Result<std::unique_ptr<FileCapture>> Create(const std::filesystem::path& path,
                                                     CaptureOptions options);
  ~FileCapture() override;

  std::uint64_t OpenFlow(std::string_view transport, std::string_view app,
                         std::string_view label) noexcept override;
  void Record(std::uint64_t flow, CaptureDirection direction, std::string_view bytes,
              std::uint64_t original_length) noexcept override;
  void CloseFlow(std::uint64_t flow, bool reset) noexcept override;

  // Ends the flows still open (FIN) and closes the file; returns the first error the capture
  // met, if any. Idempotent.
  Status Close() noexcept;
  CaptureStats stats() const;

 private:
  struct Flow {
    bool tcp = true;
    Ipv4Endpoint device;
    Ipv4Endpoint server;
    std::uint32_t next_seq[2] = {0, 0};  // indexed by CaptureDirection
    std::uint64_t kept[2] = {0, 0};
    bool cap_noted[2] = {false, false};
    std::string pending_comment;  // the label, on the flow's first packet (UDP)
  };

  FileCapture(PcapngWriter writer, CaptureOptions options)
      : writer_(std::move(writer)), options_(std::move(options)) {}

  void RecordTcp(Flow& flow, CaptureDirection direction, std::string_view bytes,
                 std::uint64_t total);
  void RecordUdp(Flow& flow, CaptureDirection direction, std::string_view bytes,
                 std::uint64_t total);
  void EndTcp(Flow& flow, bool reset, std::string_view comment);
  void Write(std::string_view packet, std::size_t original_length, std::string_view comment);
  std::string CapNote(Flow& flow, CaptureDirection direction);
  void Fail(const Error& error);    // reports once, then the capture is off
  void Notify(const Error& error);  // reports
  std::uint64_t NowUs();

  mutable std::mutex mutex_;
  PcapngWriter writer_;
  CaptureOptions options_;
  bool failed_ = false;
  std::optional<Error> first_error_;  // what Close reports when the capture failed
  bool closed_ = false;
  std::uint64_t next_flow_ = 1;
  std::uint64_t last_timestamp_us_ = 0;
  std::map<std::uint64_t, Flow> flows_;
  CaptureStats stats_;
};

// The well-known plaintext port of an application protocol; nullopt if unknown.
std::optional<std::uint16_t> WellKnownPort(std::string_view app);

}  // namespace otasim::capture
