// Plain data that crosses the CoAP transport boundary. No libcoap types here, so that the rest
// of otasim neither includes <coap3/coap.h> nor depends on its C API.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "otasim/byte_source.hpp"
#include "otasim/result.hpp"

namespace otasim::coap {

// Response codes are written as class * 100 + detail: 205 is 2.05 Content, 402 is 4.02.
std::string CodeName(int code);  // "2.05"
inline bool IsSuccess(int code) { return code / 100 == 2; }

// A Block2 option (RFC 7959): block `num` of size 16 << szx bytes.
struct Block {
  std::uint32_t num = 0;
  unsigned szx = 6;  // 0..6: 16..1024 bytes (7 is reserved for BERT over TCP)
  bool more = false;
  std::size_t Size() const { return std::size_t{16} << szx; }
  std::uint64_t Offset() const { return std::uint64_t{num} * Size(); }
};

// ---- server side ---------------------------------------------------------------------------

struct Request {
  std::string method;   // "GET", "POST", "PUT", "DELETE", "FETCH", "PATCH", "iPATCH"
  std::string path;     // "/dev-0001/manifest" (the Uri-Path options joined, with a leading /)
  std::string query;    // "a=1&b=2" (the Uri-Query options joined with &)
  std::string payload;  // capped at ServerOptions::max_request_payload (larger gets 4.13)
  std::optional<Block> block2;  // the Block2 option the client sent, if any
  std::string peer;             // "127.0.0.1:5555"
  std::string identity;         // DTLS: PSK identity or client certificate CN; plain: empty
  // The request's token (raw bytes): a retransmission repeats it, a new request has a new one.
  std::string token;
  bool confirmable = true;
};

// Reads up to out.size() bytes of a large body at `offset`; returns how many (fewer, or 0, at
// the end). Called once per block on the server thread, so an image is never held whole.
using BlockReader =
    std::function<Result<std::size_t>(std::uint64_t offset, std::span<std::uint8_t> out)>;

// A reader that opens a fresh source at each block's offset (sources are sequential only).
BlockReader SourceBlockReader(std::function<Result<ByteSourcePtr>(std::uint64_t offset)> open);
// A reader over a file, through OpenFileSource.
BlockReader FileBlockReader(std::filesystem::path path);

struct Response {
  int code = 205;
  std::optional<unsigned> content_format;  // 0 text/plain, 42 octet-stream, 50 json, 60 cbor
  // The body. If it is larger than the block size, or the client asked for a block, it is
  // served block-wise from memory.
  std::string payload;
  // A large body served block-wise (Block2): when set, `payload` is ignored. A block is the last
  // one when the reader has no byte beyond it; `size` is only what Size2 declares (attackers lie).
  BlockReader blocks;
  std::optional<std::uint64_t> size;
  // Send no response at all (an interrupted server). A confirmable request still gets
  // libcoap's empty ACK, as for a separate response that never comes.
  bool drop = false;

  static Response Text(int code, std::string text);  // content format 0
  static Response Drop();
};

// Runs on the server thread; it must not block for long. It must not throw (a throw is
// answered 5.00 and is a bug).
using Handler = std::function<Response(const Request&)>;

// The request and the answer as CoAP datagrams (RFC 7252 encoding, re-encoded from what libcoap
// parsed and is about to send; plaintext even over DTLS). `response` is empty when nothing is
// sent; for a dropped answer to a confirmable request it is libcoap's empty ACK. Runs on the
// server thread after the handler; it must not block for long nor throw.
using ExchangeObserver = std::function<void(
    const Request& request, std::string_view request_datagram, std::string_view response_datagram)>;

struct PskServerConfig {
  std::map<std::string, std::string> keys;  // identity -> key; unknown identities are refused
};

struct CertServerConfig {
  std::string cert_pem;  // the server certificate (chain)
  std::string key_pem;
  // Require a client certificate signed by this CA; its CN becomes Request::identity.
  // libcoap cannot ask for an optional one: with require off, none is requested.
  bool require_client_cert = false;
  std::string client_ca_pem;
};

struct ServerOptions {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: a free port chosen by the kernel
  // Either (or both) makes the endpoint CoAPS (DTLS 1.2); neither: plain CoAP.
  std::optional<PskServerConfig> psk;
  std::optional<CertServerConfig> cert;
  unsigned block_szx = 6;  // the largest block the server sends (6: 1024 bytes)
  std::size_t max_request_payload = 1024;
  // Optional: sees every exchange once it is answered (evidence captures).
  ExchangeObserver observer;
};

// ---- client side ---------------------------------------------------------------------------

struct PskClientConfig {
  std::string identity;
  std::string key;
};

struct CertClientConfig {
  std::string ca_pem;  // the server's certificate must chain to this CA
  std::string client_cert_pem;  // optional: a client certificate for mutual authentication
  std::string client_key_pem;
  // The server's certificate must also name the host the client connects to (the IP address
  // or DNS name given to Connect), checked against its subjectAltNames. false skips the name
  // check only (a flawed device); the chain is always checked.
  bool verify_host = true;
  // false: any server certificate is accepted (a flawed device). Implies no name check.
  bool verify_peer = true;
};

struct ClientOptions {
  // At most one: PSK or certificates make the session CoAPS; neither: plain CoAP.
  std::optional<PskClientConfig> psk;
  std::optional<CertClientConfig> cert;
  // Every exchange (one request and its response, including the DTLS handshake for the first)
  // ends by this deadline...
  std::chrono::milliseconds exchange_timeout{5000};
  // ...and every exchange of the client ends by this one, counted from Connect.
  std::chrono::milliseconds session_timeout{60000};
};

struct ClientResponse {
  int code = 0;
  std::optional<unsigned> content_format;
  std::string payload;
  std::optional<Block> block2;
  std::optional<std::uint64_t> size2;
};

// Receives the blocks of a block-wise download in order: the body bytes at `offset`.
// Return false to stop after this block (the download then reports stopped_by_sink).
using BlockSink =
    std::function<bool(std::uint64_t offset, const std::uint8_t* data, std::size_t size)>;

struct BlockwiseRequest {
  std::string path;
  std::string query;
  std::uint32_t start_block = 0;  // resume: ask for this block first (in units of szx)
  unsigned szx = 6;               // the block size to ask for; the server may choose smaller
};

// How a block-wise download ended (transport errors are Result errors instead).
struct BlockwiseResult {
  int code = 0;  // the last response's code: 205 when every block arrived
  std::optional<unsigned> content_format;
  std::optional<std::uint64_t> size2;  // as the server declared it
  std::uint64_t bytes = 0;             // bytes given to the sink
  std::uint32_t blocks = 0;            // blocks given to the sink
  std::uint32_t next_block = 0;  // resume from here (in units of `szx`)
  unsigned szx = 6;              // the block size the server used
  bool complete = false;         // the last block (no "more" flag) arrived
  bool stopped_by_sink = false;
  std::string error_payload;  // diagnostic payload of an error response
};

}  // namespace otasim::coap
