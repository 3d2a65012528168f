#include "mqtt_inbox.hpp"

namespace otasim::device {

void MqttInbox::Push(const mqtt::Message& message) {
  const std::size_t bytes = message.topic.size() + message.payload.size();
  {
    std::lock_guard lock(mutex_);
    if (queued_bytes_ + bytes > max_bytes_) {
      ++dropped_;
      return;
    }
    queue_.push_back(message);
    queued_bytes_ += bytes;
  }
  arrived_.notify_one();
}

std::optional<mqtt::Message> MqttInbox::Pop(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  if (!arrived_.wait_until(lock, deadline, [this] { return !queue_.empty(); })) return std::nullopt;
  mqtt::Message message = std::move(queue_.front());
  queue_.pop_front();
  queued_bytes_ -= message.topic.size() + message.payload.size();
  return message;
}

std::uint64_t MqttInbox::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

}  // namespace otasim::device
