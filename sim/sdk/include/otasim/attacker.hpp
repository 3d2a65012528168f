// Attackers change what the device sees. Content attackers rewrite what the update service
// serves (a compromised repository or mirror); the server model calls their hooks for every
// manifest and image it is about to send, in the order the scenario lists them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

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
};

}  // namespace otasim
