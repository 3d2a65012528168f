#include <chrono>

#include "otasim/session.hpp"

namespace otasim {
namespace {

std::int64_t SteadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void Timeline::Start() {
  std::lock_guard lock(mutex_);
  origin_ms_ = SteadyNowMs();
}

void Timeline::Add(std::string_view source, std::string_view event, nlohmann::json details) {
  std::lock_guard lock(mutex_);
  const std::int64_t now = SteadyNowMs();  // read under the lock, so t_ms never goes back
  if (origin_ms_ == 0) origin_ms_ = now;  // never started: time runs from the first entry
  nlohmann::json entry = nlohmann::json::object();
  entry["t_ms"] = now - origin_ms_;
  entry["source"] = std::string(source);
  entry["event"] = std::string(event);
  entry["details"] = details.is_null() ? nlohmann::json::object() : std::move(details);
  entries_.push_back(std::move(entry));
}

nlohmann::json Timeline::Snapshot() const {
  std::lock_guard lock(mutex_);
  return entries_;
}

}  // namespace otasim
