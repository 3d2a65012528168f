#include "concat_source.hpp"

#include <utility>

namespace otasim::servers {
namespace {

class Concatenation final : public ByteSource {
 public:
  explicit Concatenation(std::vector<ByteSourcePtr> parts) : parts_(std::move(parts)) {}

  Result<std::size_t> Read(std::span<std::uint8_t> out) override {
    while (current_ < parts_.size()) {
      ByteSource* part = parts_[current_].get();
      if (part != nullptr) {
        OTASIM_TRY(std::size_t n, part->Read(out));
        if (n > 0 || out.empty()) return n;
      }
      ++current_;  // this part has ended; go on with the next
    }
    return std::size_t{0};
  }

  std::optional<std::uint64_t> Length() const override {
    std::uint64_t total = 0;
    for (const ByteSourcePtr& part : parts_) {
      if (part == nullptr) continue;
      std::optional<std::uint64_t> length = part->Length();
      if (!length) return std::nullopt;
      total += *length;
    }
    return total;
  }

 private:
  std::vector<ByteSourcePtr> parts_;
  std::size_t current_ = 0;
};

}  // namespace

ByteSourcePtr ConcatSource(std::vector<ByteSourcePtr> parts) {
  return std::make_unique<Concatenation>(std::move(parts));
}

}  // namespace otasim::servers
