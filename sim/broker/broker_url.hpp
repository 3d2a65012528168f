// The `--broker URL` of an external broker: mqtt[s]://[user[:password]@]host[:port].
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "otasim/result.hpp"

namespace otasim::broker {

struct BrokerUrl {
  bool tls = true;
  std::string host;
  std::uint16_t port = 8883;  // 8883 for mqtts, 1883 for mqtt when not given
  std::string username;       // percent-decoded
  std::string password;

  std::string DeviceUri() const;  // "mqtts://host:port", as targets/PROTOCOL.md writes it
  std::string PahoUri() const;    // "ssl://host:port"
};

// kInvalidArgument naming what is wrong. A password without a user name is refused.
Result<BrokerUrl> ParseBrokerUrl(std::string_view url);

}  // namespace otasim::broker
