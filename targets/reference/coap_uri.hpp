// coap:// and coaps:// URIs (RFC 7252 section 6) as far as the device needs them: a numeric
// host (the CoAP client takes addresses only), a port, a path and a query.
#pragma once

#include <cstdint>
#include <string>

#include "otasim/result.hpp"

namespace otasim::device {

struct CoapUri {
  bool secure = false;  // coaps
  std::string host;     // "127.0.0.1" or "::1" (without brackets)
  std::uint16_t port = 0;
  std::string path;   // "/dev-0001/manifest"; "/" at least
  std::string query;  // "a=1&b=2", without '?'

  std::string ToString() const;
  bool SameEndpoint(const CoapUri& other) const {
    return secure == other.secure && host == other.host && port == other.port;
  }
};

// kParse naming what is wrong.
Result<CoapUri> ParseCoapUri(const std::string& text);
// `reference` is an absolute coap(s):// URI, an absolute path, or a path relative to `base`'s
// directory (the base's last segment replaced), with "." and ".." segments resolved.
Result<CoapUri> ResolveCoapUri(const CoapUri& base, const std::string& reference);

}  // namespace otasim::device
