#include "common/byte_sources.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

namespace otasim::attackers {
namespace {

class FlipBitsSource final : public ByteSource {
 public:
  FlipBitsSource(ByteSourcePtr inner, std::uint64_t position, std::uint8_t mask)
      : inner_(std::move(inner)), position_(position), mask_(mask) {}

  Result<std::size_t> Read(std::span<std::uint8_t> out) override {
    OTASIM_TRY(std::size_t n, inner_->Read(out));
    if (position_ >= consumed_ && position_ - consumed_ < n) out[position_ - consumed_] ^= mask_;
    consumed_ += n;
    return n;
  }
  std::optional<std::uint64_t> Length() const override { return inner_->Length(); }

 private:
  ByteSourcePtr inner_;
  std::uint64_t position_;
  std::uint8_t mask_;
  std::uint64_t consumed_ = 0;
};

// splitmix64: tiny, fast and the same on every platform, unlike std:: distributions.
class RandomSource final : public ByteSource {
 public:
  RandomSource(std::uint64_t seed, std::optional<std::uint64_t> length)
      : state_(seed), length_(length) {}

  Result<std::size_t> Read(std::span<std::uint8_t> out) override {
    std::size_t n = out.size();
    if (length_) n = static_cast<std::size_t>(std::min<std::uint64_t>(n, *length_ - produced_));
    for (std::size_t i = 0; i < n; ++i) {
      if (word_left_ == 0) {
        word_ = Next();
        word_left_ = 8;
      }
      out[i] = static_cast<std::uint8_t>(word_);
      word_ >>= 8;
      --word_left_;
    }
    produced_ += n;
    return n;
  }
  std::optional<std::uint64_t> Length() const override { return length_; }

 private:
  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  std::uint64_t state_;
  std::optional<std::uint64_t> length_;
  std::uint64_t produced_ = 0;
  std::uint64_t word_ = 0;
  int word_left_ = 0;
};

class ConcatSource final : public ByteSource {
 public:
  ConcatSource(ByteSourcePtr first, ByteSourcePtr second)
      : first_(std::move(first)), second_(std::move(second)) {}

  Result<std::size_t> Read(std::span<std::uint8_t> out) override {
    if (!first_done_) {
      OTASIM_TRY(std::size_t n, first_->Read(out));
      if (n > 0) return n;
      first_done_ = true;
    }
    return second_->Read(out);
  }
  std::optional<std::uint64_t> Length() const override {
    auto a = first_->Length();
    auto b = second_->Length();
    if (!a || !b) return std::nullopt;
    return *a + *b;
  }

 private:
  ByteSourcePtr first_;
  ByteSourcePtr second_;
  bool first_done_ = false;
};

class TruncateSource final : public ByteSource {
 public:
  TruncateSource(ByteSourcePtr inner, std::uint64_t limit)
      : inner_(std::move(inner)), limit_(limit) {}

  Result<std::size_t> Read(std::span<std::uint8_t> out) override {
    std::uint64_t left = limit_ - consumed_;
    if (left == 0) return std::size_t{0};
    if (out.size() > left) out = out.first(static_cast<std::size_t>(left));
    OTASIM_TRY(std::size_t n, inner_->Read(out));
    consumed_ += n;
    return n;
  }
  std::optional<std::uint64_t> Length() const override {
    auto inner = inner_->Length();
    if (!inner) return std::nullopt;  // it may end before the limit
    return std::min(*inner, limit_);
  }

 private:
  ByteSourcePtr inner_;
  std::uint64_t limit_;
  std::uint64_t consumed_ = 0;
};

class HiddenLengthSource final : public ByteSource {
 public:
  explicit HiddenLengthSource(ByteSourcePtr inner) : inner_(std::move(inner)) {}
  Result<std::size_t> Read(std::span<std::uint8_t> out) override { return inner_->Read(out); }
  std::optional<std::uint64_t> Length() const override { return std::nullopt; }

 private:
  ByteSourcePtr inner_;
};

}  // namespace

ByteSourcePtr FlipBits(ByteSourcePtr inner, std::uint64_t position, std::uint8_t mask) {
  return std::make_unique<FlipBitsSource>(std::move(inner), position, mask);
}

ByteSourcePtr RandomBytes(std::uint64_t seed, std::optional<std::uint64_t> length) {
  return std::make_unique<RandomSource>(seed, length);
}

ByteSourcePtr Concat(ByteSourcePtr first, ByteSourcePtr second) {
  return std::make_unique<ConcatSource>(std::move(first), std::move(second));
}

ByteSourcePtr Truncate(ByteSourcePtr inner, std::uint64_t limit) {
  return std::make_unique<TruncateSource>(std::move(inner), limit);
}

ByteSourcePtr HideLength(ByteSourcePtr inner) {
  return std::make_unique<HiddenLengthSource>(std::move(inner));
}

std::uint64_t ImageSize(const Release& release) {
  std::error_code ec;
  auto size = std::filesystem::file_size(release.image_path, ec);
  return ec ? release.manifest.image.size : size;
}

}  // namespace otasim::attackers
