// Evidence capture for server.mqtt-jobs. The device talks to the broker, not to us, so what is
// captured is reconstructed from the broker's messages: one TCP flow to port 1883 that starts
// with a synthesized CONNECT/CONNACK (so that Wireshark's MQTT dissector follows it), then each
// message the server published to the device and each the device published to the server, as
// MQTT 3.1.1 PUBLISH packets (QoS 0), and a DISCONNECT when the server stops.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "otasim/capture.hpp"

namespace otasim::servers::mqtt_jobs {

// The MQTT 3.1.1 packets the capture is made of.
std::string MqttConnect(std::string_view client_id);
std::string MqttConnack();
std::string MqttPublish(std::string_view topic, std::string_view payload, bool retain);
std::string MqttDisconnect();

class MqttCapture {
 public:
  // capture may be nullptr: then nothing is recorded.
  MqttCapture(PacketCapture* capture, std::string_view device, std::string_view broker_uri);
  ~MqttCapture();

  void ToDevice(std::string_view topic, std::string_view payload, bool retain) noexcept;
  void FromDevice(std::string_view topic, std::string_view payload) noexcept;

 private:
  PacketCapture* capture_;
  std::uint64_t flow_ = 0;
};

}  // namespace otasim::servers::mqtt_jobs
