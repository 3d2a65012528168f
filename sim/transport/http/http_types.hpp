// Plain data that crosses the HTTP transport boundary. No Beast types here, so that the
// rest of otasim does not recompile Beast.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "otasim/byte_source.hpp"
#include "otasim/result.hpp"

namespace otasim::http {

struct Request {
  std::string method;                       // "GET"
  std::string target;                       // "/dev-0001/manifest?x=1"
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                         // capped at ServerOptions::max_request_body
  std::string peer;                         // "127.0.0.1:5555"
  std::string client_identity;              // TLS client certificate subject CN, if any
  std::uint64_t connection_id = 0;

  std::optional<std::string> Header(const std::string& lower_name) const;
};

// How the body of a streamed response ends.
enum class BodyEnd {
  kComplete,  // every byte of the source was written
  kCut,       // the server closed the connection on purpose (interrupt attack)
  kPeerGone,  // the client closed or reset the connection, or a write timed out
  kSourceError,
};

struct BodyOutcome {
  std::uint64_t bytes_written = 0;
  BodyEnd end = BodyEnd::kComplete;
  std::string detail;
};

struct Response {
  int status = 200;
  std::map<std::string, std::string> headers;  // e.g. "content-type", "content-range"
  std::string body;                            // used when `stream` is empty
  // A streamed body. Content-Length is stream->Length() unless `declared_length` overrides it
  // (attackers lie about lengths); with neither, the body ends when the connection closes.
  ByteSourcePtr stream;
  std::optional<std::uint64_t> declared_length;
  // Close the connection abruptly after this many body bytes (no clean end).
  std::optional<std::uint64_t> cut_after;
  // Called once when a streamed body ends, from the server's thread.
  std::function<void(const BodyOutcome&)> on_body_end;

  static Response Text(int status, std::string body, std::string content_type = "text/plain");
};

using Handler = std::function<Response(const Request&)>;

struct TlsServerConfig {
  std::string cert_chain_pem;
  std::string key_pem;
  std::string client_ca_pem;   // non-empty: request a client certificate, verify it against this
  bool require_client_cert = false;
};

struct ServerOptions {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: a free port chosen by the kernel
  std::optional<TlsServerConfig> tls;
  std::chrono::milliseconds io_timeout{10000};  // every read and write has this deadline
  std::size_t max_request_body = 64 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
};

struct ClientOptions {
  std::string ca_pem;          // trust these CAs for https (empty: https is refused)
  std::string client_cert_pem;  // mutual TLS
  std::string client_key_pem;
  bool verify_peer = true;
  bool verify_host = true;
  std::chrono::milliseconds timeout{10000};  // per connect, read and write
  std::chrono::milliseconds total_timeout{0};  // 0: none; otherwise whole-exchange deadline
};

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;
  std::uint16_t port = 0;
  std::string target;  // path and query, starting with "/"
  std::string ToString() const;
};
Result<Url> ParseUrl(const std::string& text);
// Resolve `reference` (absolute URL, absolute path, or relative path) against `base`.
Result<Url> ResolveUrl(const Url& base, const std::string& reference);

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;  // filled only when no sink is given (capped by max_body)
};

// Receives body bytes as they arrive; return false to stop reading (the connection is closed).
using BodySink = std::function<bool(const std::uint8_t* data, std::size_t size)>;

}  // namespace otasim::http
