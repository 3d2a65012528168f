#include "update_channel.hpp"

#include "coap_channel.hpp"
#include "http_channel.hpp"
#include "mqtt_channel.hpp"

namespace otasim::device {

Result<std::unique_ptr<UpdateChannel>> OpenChannel(const DeviceConfig& config, const Flaws& flaws) {
  switch (config.protocol) {
    case Protocol::kHttp: return MakeHttpChannel(config, flaws);
    case Protocol::kCoap: return MakeCoapChannel(config, flaws);
    case Protocol::kMqtt: return MakeMqttChannel(config, flaws);
  }
  return MakeError(Errc::kInvalidArgument, "protocol: unknown");
}

}  // namespace otasim::device
