// Streaming find-and-replace on a byte stream: what an on-path attacker with the plaintext can
// change in flight. Bounded memory: only a tail that may be the start of a match is held back.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace otasim::proxy {

class StreamEdit {
 public:
  // An empty `find` edits nothing.
  StreamEdit(std::string find, std::string replace);

  // Feeds the next bytes; returns what may be sent on now. A tail that could still become a
  // match is kept until more bytes come (or Flush).
  std::string Feed(std::string_view bytes);
  // The stream ended: whatever is held back goes out unchanged.
  std::string Flush();

  std::uint64_t applied() const { return applied_; }

 private:
  const std::string find_;
  const std::string replace_;
  std::string held_;  // never longer than find_.size() - 1
  std::uint64_t applied_ = 0;
};

}  // namespace otasim::proxy
