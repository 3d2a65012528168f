// `otasim run --listen HOST:PORT`: the address every session's server binds to, for a device
// on the network (targets/PROTOCOL.md, "Remote devices").
#pragma once

#include <cstdint>
#include <string>

#include "otasim/result.hpp"

namespace otasim::cli {

struct ListenAddress {
  std::string host;  // an IP literal, without brackets
  std::uint16_t port = 0;
};

// "192.168.1.5:8443" or "[fd00::5]:8443". HOST must be an IP literal (the device's
// configuration names it, and the server certificate must too); PORT 1..65535.
Result<ListenAddress> ParseListenAddress(const std::string& text);

// Binds a TCP and a UDP socket there for a moment, so that an address of another machine or
// a port in use is reported before any session starts.
Status CheckCanListen(const ListenAddress& address);

}  // namespace otasim::cli
