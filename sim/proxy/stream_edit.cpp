#include "stream_edit.hpp"

#include <algorithm>

namespace otasim::proxy {

StreamEdit::StreamEdit(std::string find, std::string replace)
    : find_(std::move(find)), replace_(std::move(replace)) {}

std::string StreamEdit::Feed(std::string_view bytes) {
  if (find_.empty()) return std::string(bytes);
  std::string text = std::move(held_);
  held_.clear();
  text.append(bytes);
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  for (;;) {
    const std::size_t hit = text.find(find_, pos);
    if (hit == std::string::npos) break;
    out.append(text, pos, hit - pos);
    out.append(replace_);
    ++applied_;
    pos = hit + find_.size();
  }
  // Hold back the longest tail that is a proper prefix of find_: it may complete next time.
  const std::size_t rest = text.size() - pos;
  std::size_t keep = std::min(rest, find_.size() - 1);
  while (keep > 0 && text.compare(text.size() - keep, keep, find_, 0, keep) != 0) --keep;
  out.append(text, pos, rest - keep);
  held_.assign(text, text.size() - keep, keep);
  return out;
}

std::string StreamEdit::Flush() {
  std::string out = std::move(held_);
  held_.clear();
  return out;
}

}  // namespace otasim::proxy
