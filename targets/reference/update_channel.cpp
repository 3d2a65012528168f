#include "update_channel.hpp"

#include "coap_channel.hpp"
#include "http_channel.hpp"
#include "mqtt_channel.hpp"

namespace otasim::device {

Result<std::unique_ptr<UpdateChannel>> OpenChannel(const DeviceConfig& config) {
  switch (config.protocol) {
    case Protocol::kHttp: return MakeHttpChannel(config);
    case Protocol::kCoap: return MakeCoapChannel(config);
    case Protocol::kMqtt: return MakeMqttChannel(config);
  }
  return MakeError(Errc::kInvalidArgument, "protocol: unknown");
}

}  // namespace otasim::device
