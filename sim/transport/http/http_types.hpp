// Plain data that crosses the HTTP transport boundary. No Beast types here, so that the
// rest of otasim does not recompile Beast.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

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

std::string_view BodyEndName(BodyEnd end) noexcept;  // "complete", "cut", "peer-gone", "source-error"

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
  // Called once when a streamed body ends, from the server's thread (also called for a buffered
  // `body`, and with 0 bytes for a HEAD request, so that servers can log every outcome alike).
  // A body shorter or longer than its Content-Length, or with no length, closes the connection
  // after it: the client can tell the lie (or the end) only from the framing.
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

// How a fetched body ended (Fetch returns success once a response header was read):
//  - body_complete: the message ended as its framing says (all Content-Length bytes, the last
//    chunk, or, with neither, the end of the connection: a TCP FIN for http, a TLS close_notify
//    for https).
//  - !body_complete && !stopped_by_sink: the connection ended early (FIN or reset before the
//    promised bytes, or a TLS connection closed without close_notify): an interrupted
//    download; body_end_detail says how. Bytes up to that point were delivered.
//  - stopped_by_sink: the sink returned false; Fetch closed the connection.
//  - stopped_by_header_check: the header check returned false; Fetch closed the connection
//    without reading any body byte (body_bytes is 0, the sink was never called).
// A timeout mid-body is an error (kTimeout), a TLS record failure mid-body is kCrypto and a
// malformed chunk is kProtocol; the sink has already seen the bytes before them.
// Bytes beyond a declared Content-Length are not part of the message and are not read.
struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;  // filled only when no sink is given (capped by max_body)
  std::optional<std::uint64_t> content_length;  // as the server declared it
  std::uint64_t body_bytes = 0;  // body bytes received (given to the sink, or in `body`)
  bool body_complete = false;
  bool stopped_by_sink = false;
  bool stopped_by_header_check = false;
  std::string body_end_detail;  // why the body ended early; empty when complete

  std::optional<std::string> Header(const std::string& lower_name) const;
};

// Receives body bytes as they arrive; return false to stop reading (the connection is closed).
using BodySink = std::function<bool(const std::uint8_t* data, std::size_t size)>;

// Sees the response's status, headers and content_length once the header is parsed, before any
// body byte is read (body and body_bytes are still empty). Return false to refuse the response:
// the connection is closed unread, so a caller can refuse a bad status or a lying
// Content-Length before a single body byte reaches its storage.
using HeaderCheck = std::function<bool(const ClientResponse& head)>;

}  // namespace otasim::http
