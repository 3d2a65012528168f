#include "mqtt_capture.hpp"

namespace otasim::servers::mqtt_jobs {
namespace {

void PutLength(std::string& out, std::uint64_t length) {  // MQTT "remaining length" varint
  do {
    auto byte = static_cast<std::uint8_t>(length % 128);
    length /= 128;
    if (length > 0) byte |= 0x80;
    out.push_back(static_cast<char>(byte));
  } while (length > 0);
}

void PutString(std::string& out, std::string_view text) {
  out.push_back(static_cast<char>((text.size() >> 8) & 0xFF));
  out.push_back(static_cast<char>(text.size() & 0xFF));
  out.append(text);
}

}  // namespace

std::string MqttConnect(std::string_view client_id) {
  std::string body;
  PutString(body, "MQTT");
  body.push_back(4);     // protocol level 3.1.1
  body.push_back(0x02);  // clean session
  body.push_back(0);     // keep alive 60 s
  body.push_back(60);
  PutString(body, client_id.substr(0, 0xFFFF));
  std::string packet(1, static_cast<char>(0x10));
  PutLength(packet, body.size());
  return packet + body;
}

std::string MqttConnack() { return std::string("\x20\x02\x00\x00", 4); }

std::string MqttDisconnect() { return std::string("\xE0\x00", 2); }

std::string MqttPublish(std::string_view topic, std::string_view payload, bool retain) {
  std::string packet(1, static_cast<char>(0x30 | (retain ? 0x01 : 0x00)));
  topic = topic.substr(0, 0xFFFF);
  PutLength(packet, 2 + topic.size() + payload.size());
  PutString(packet, topic);
  packet.append(payload);
  return packet;
}

MqttCapture::MqttCapture(PacketCapture* capture, std::string_view device,
                         std::string_view broker_uri)
    : capture_(capture) {
  if (capture_ == nullptr) return;
  flow_ = capture_->OpenFlow(
      "tcp", "mqtt",
      "server.mqtt-jobs: reconstructed from the broker's messages (device " + std::string(device) +
          " via broker " + std::string(broker_uri) + "); CONNECT/CONNACK/DISCONNECT synthesized");
  const std::string connect = MqttConnect(device);
  const std::string connack = MqttConnack();
  capture_->Record(flow_, CaptureDirection::kToServer, connect, connect.size());
  capture_->Record(flow_, CaptureDirection::kToDevice, connack, connack.size());
}

MqttCapture::~MqttCapture() {
  if (capture_ == nullptr) return;
  const std::string disconnect = MqttDisconnect();
  capture_->Record(flow_, CaptureDirection::kToDevice, disconnect, disconnect.size());
  capture_->CloseFlow(flow_, false);
}

void MqttCapture::ToDevice(std::string_view topic, std::string_view payload, bool retain) noexcept {
  if (capture_ == nullptr) return;
  try {
    const std::string packet = MqttPublish(topic, payload, retain);
    capture_->Record(flow_, CaptureDirection::kToDevice, packet, packet.size());
  } catch (...) {  // evidence must never take the server down
  }
}

void MqttCapture::FromDevice(std::string_view topic, std::string_view payload) noexcept {
  if (capture_ == nullptr) return;
  try {
    const std::string packet = MqttPublish(topic, payload, false);
    capture_->Record(flow_, CaptureDirection::kToServer, packet, packet.size());
  } catch (...) {  // evidence must never take the server down
  }
}

}  // namespace otasim::servers::mqtt_jobs
