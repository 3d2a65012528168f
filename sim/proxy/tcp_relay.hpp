// A TCP relay between the device and the genuine server, as an on-path attacker runs it: it
// listens on a free loopback port, optionally terminates TLS towards the device with the
// attacker's certificate, connects upstream (TLS verified against the genuine CA, or plain)
// and relays bytes both ways, with optional edits and a trickle rate. Everything it saw goes to
// a JSON-lines log; the device's TLS handshake outcome is the key evidence that it refused.
// One io thread; every wait has a deadline.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "otasim/capture.hpp"
#include "otasim/result.hpp"

namespace otasim::proxy {

enum class EditDirection { kToServer, kToDevice };

struct ByteEdit {
  EditDirection direction = EditDirection::kToDevice;
  std::string find;
  std::string replace;
};

struct DeviceSide {
  bool tls = false;      // terminate TLS towards the device
  std::string cert_pem;  // the attacker's certificate chain, leaf first
  std::string key_pem;   // its key: used, never logged
};

struct Upstream {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  bool tls = false;
  std::string ca_pem;       // the genuine server's certificate must chain to it
  std::string server_name;  // checked against the genuine certificate; empty = host
};

struct RelayOptions {
  std::string label = "relay";  // names the relay in its log and captures
  std::string app = "http";     // capture dissector: http, mqtt
  DeviceSide device;
  Upstream upstream;
  std::vector<ByteEdit> edits;
  std::uint64_t trickle_bytes_per_second = 0;  // towards the device; 0 = full speed
  // Deadline of each wait: connect, handshake, and each read while relaying (an idle limit).
  std::chrono::milliseconds timeout{10000};
  std::filesystem::path log_path;     // JSON lines; empty = no file
  PacketCapture* capture = nullptr;   // the decrypted bytes relayed; may be null
  // Instead of relaying, answer each device connection's first request (read up to the end of
  // its header) with these bytes and close: a front end that redirects (strip-tls).
  std::optional<std::string> canned_response;
  // Plaintext towards the device: a device that opens with a TLS ClientHello is logged
  // (device_sent_tls_hello) and, when this is set, cut off instead of relayed (strip-tls: a
  // plaintext server cannot answer a handshake).
  bool drop_tls_hello = false;
  // Called on the io thread when a connection ends, with its log record.
  std::function<void(const nlohmann::json&)> on_connection;
};

class TcpRelay {
 public:
  static Result<std::unique_ptr<TcpRelay>> Start(RelayOptions options);
  ~TcpRelay();
  TcpRelay(const TcpRelay&) = delete;
  TcpRelay& operator=(const TcpRelay&) = delete;

  std::uint16_t port() const;
  // Closes the listener and every connection, joins the io thread; idempotent.
  void Stop() noexcept;
  // Counts over all connections so far: connections, device_tls_completed,
  // device_tls_failed (with the distinct reasons), bytes each way, edits applied.
  nlohmann::json Summary() const;
  // Every connection record so far (as logged).
  std::vector<nlohmann::json> Connections() const;

  struct Impl;

 private:
  explicit TcpRelay(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace otasim::proxy
