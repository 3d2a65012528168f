#include "common/trickle.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>
#include <utility>

namespace otasim::servers {
namespace {

using Clock = std::chrono::steady_clock;

class Paced final : public ByteSource {
 public:
  Paced(ByteSourcePtr inner, std::uint64_t bytes_per_second, std::uint64_t free_bytes)
      : inner_(std::move(inner)),
        bytes_per_second_(std::max<std::uint64_t>(1, bytes_per_second)),
        free_bytes_(free_bytes),
        slice_(TrickleSlice(bytes_per_second)) {}

  Result<std::size_t> Read(std::span<std::uint8_t> out) override {
    if (out.empty()) return std::size_t{0};
    std::uint64_t want = out.size();
    if (sent_ < free_bytes_) {
      want = std::min(want, free_bytes_ - sent_);
    } else {
      if (!paced_since_) paced_since_ = Clock::now();
      // The slice is due when the bytes before it fit the rate, counted from the first paced byte.
      const auto due = *paced_since_ + std::chrono::microseconds(
                                           (sent_ - free_bytes_) * 1'000'000 / bytes_per_second_);
      std::this_thread::sleep_until(due);
      want = std::min(want, slice_);
    }
    auto read = inner_->Read(out.first(static_cast<std::size_t>(want)));
    if (read) sent_ += *read;
    return read;
  }

  std::optional<std::uint64_t> Length() const override { return inner_->Length(); }

 private:
  ByteSourcePtr inner_;
  std::uint64_t bytes_per_second_;
  std::uint64_t free_bytes_;
  std::uint64_t slice_;
  std::uint64_t sent_ = 0;
  std::optional<Clock::time_point> paced_since_;
};

}  // namespace

std::uint64_t TrickleSlice(std::uint64_t bytes_per_second) {
  return std::max<std::uint64_t>(16, bytes_per_second / 10);
}

ByteSourcePtr PacedSource(ByteSourcePtr inner, std::uint64_t bytes_per_second,
                          std::uint64_t free_bytes) {
  return std::make_unique<Paced>(std::move(inner), bytes_per_second, free_bytes);
}

bool ApplyTrickle(ImageDelivery& delivery) {
  if (delivery.trickle_bytes_per_second == 0 || !delivery.source) return false;
  delivery.source = PacedSource(std::move(delivery.source), delivery.trickle_bytes_per_second);
  return true;
}

}  // namespace otasim::servers
