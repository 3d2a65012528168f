// Attackers change what the device sees. Content attackers rewrite what the update service
// serves (a compromised repository or mirror); the server model calls their hooks for every
// manifest and image it is about to send, in the order the scenario lists them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "otasim/byte_source.hpp"
#include "otasim/result.hpp"
#include "otasim/session.hpp"

namespace otasim {

struct RequestInfo {
  std::string protocol;        // "http"
  std::string resource;        // "manifest" or "image"
  std::uint64_t index = 0;     // how many requests for this resource came before, this step
  std::uint64_t range_start = 0;  // first image byte asked for (resume)
};

struct ManifestDelivery {
  std::string envelope;  // the bytes to serve; attackers may replace them
};

struct ImageDelivery {
  const Release* release = nullptr;  // the release the request named
  std::uint64_t offset = 0;          // first byte of the image this response starts at
  ByteSourcePtr source;              // the bytes to serve from `offset` on
  // What the response claims as its length: nullopt means the source's own Length().
  std::optional<std::uint64_t> declared_length;
  bool close_delimited = false;  // no length at all: the body ends when the connection closes
  // Cut the connection after this many body bytes, without a clean end.
  std::optional<std::uint64_t> cut_after;
  // Slow retrieval: send at most this many body bytes per second (0 = full speed).
  std::uint64_t trickle_bytes_per_second = 0;
  // Instead of the body, point the device elsewhere (HTTP: a redirect to this URL; MQTT url
  // mode: the job's image URL). Empty = serve the body.
  std::string redirect_url;
};

// The endpoint an on-path attacker may stand in front of: what the device would be told, and
// where the genuine server (or broker) listens.
struct TransportEndpoint {
  std::string protocol;        // "http", "coap", "mqtt"
  nlohmann::json endpoint;     // the device's endpoint block (base_url, base_uri, broker, ...)
  std::string host;            // genuine server address, e.g. "127.0.0.1"
  std::uint16_t port = 0;
  bool secure = false;         // TLS/DTLS on the genuine endpoint
  std::string ca_cert_pem;     // the CA the genuine server's certificate chains to (public)
};

class Attacker {
 public:
  virtual ~Attacker() = default;
  // Called once per step before the device acts; look up releases, make rogue keys.
  virtual Status Prepare(SessionContext& session) { (void)session; return {}; }
  virtual Status OnManifest(SessionContext& session, const RequestInfo& request,
                            ManifestDelivery& delivery) {
    (void)session; (void)request; (void)delivery;
    return {};
  }
  virtual Status OnImage(SessionContext& session, const RequestInfo& request,
                         ImageDelivery& delivery) {
    (void)session; (void)request; (void)delivery;
    return {};
  }
  // Transport role (on-path attackers): called once per step after Prepare, before the device
  // acts. Return a replacement endpoint block to point the device at the attacker (a proxy it
  // started), or nullopt to leave the device's endpoint alone.
  virtual Result<std::optional<nlohmann::json>> WrapEndpoint(SessionContext& session,
                                                             const TransportEndpoint& genuine) {
    (void)session; (void)genuine;
    return std::optional<nlohmann::json>{};
  }
  // The step is over (the device has exited): stop any proxy and flush its log. Also called
  // when the session is torn down early.
  virtual void StopTransport() noexcept {}
};

}  // namespace otasim
