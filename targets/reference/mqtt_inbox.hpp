// Hands MQTT messages from Paho's dispatch thread to the update cycle. Push never blocks (it
// runs inside the client's message handler); Pop waits with a deadline. The queued payloads are
// capped in bytes: a flood beyond the cap is dropped and counted, so it cannot exhaust memory —
// a dropped chunk is then a gap (re-requested) or a silence (interrupted), never a crash.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

#include "client.hpp"

namespace otasim::device {

class MqttInbox {
 public:
  explicit MqttInbox(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  void Push(const mqtt::Message& message);
  // The oldest message, or nullopt when none came by `deadline`.
  std::optional<mqtt::Message> Pop(std::chrono::steady_clock::time_point deadline);
  std::uint64_t dropped() const;

 private:
  const std::size_t max_bytes_;
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<mqtt::Message> queue_;
  std::size_t queued_bytes_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace otasim::device
