#include "report/text.hpp"

#include <cstdio>

namespace otasim::report {
namespace {

constexpr char32_t kReplacement = 0xFFFD;
constexpr std::string_view kReplacementUtf8 = "\xEF\xBF\xBD";

// Calls emit(code_point, raw_bytes) for each code point of text. A byte that does not start a
// well-formed sequence (truncated, overlong, surrogate, beyond U+10FFFF) comes out alone as
// U+FFFD with empty raw bytes, and decoding resumes at the next byte.
template <class Emit>
void ForEachCodePoint(std::string_view text, Emit emit) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      emit(static_cast<char32_t>(lead), text.substr(i, 1));
      ++i;
      continue;
    }
    std::size_t length = 0;
    char32_t code_point = 0;
    char32_t minimum = 0;
    if ((lead & 0xE0) == 0xC0) {
      length = 2, code_point = lead & 0x1F, minimum = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, code_point = lead & 0x0F, minimum = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, code_point = lead & 0x07, minimum = 0x10000;
    }
    bool valid = length != 0 && i + length <= text.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      valid = (next & 0xC0) == 0x80;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    valid = valid && code_point >= minimum && code_point <= 0x10FFFF &&
            !(code_point >= 0xD800 && code_point <= 0xDFFF);
    if (!valid) {
      emit(kReplacement, std::string_view());
      ++i;
      continue;
    }
    emit(code_point, text.substr(i, length));
    i += length;
  }
}

std::string XmlEscape(std::string_view text, bool attribute) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  ForEachCodePoint(text, [&](char32_t c, std::string_view raw) {
    switch (c) {
      case '&': out += "&amp;"; return;
      case '<': out += "&lt;"; return;
      case '>': out += "&gt;"; return;  // also keeps "]]>" out of text
      case '"': out += attribute ? "&quot;" : "\""; return;
      case '\'': out += attribute ? "&apos;" : "'"; return;
      case '\t': out += attribute ? "&#9;" : "\t"; return;
      case '\n': out += attribute ? "&#10;" : "\n"; return;
      case '\r': out += "&#13;"; return;  // a raw CR would be folded into LF by parsers
      default: break;
    }
    char buffer[16];
    if (c < 0x20 || c == 0x7F) {
      std::snprintf(buffer, sizeof buffer, "\\x%02X", static_cast<unsigned>(c));
      out += buffer;
    } else if (c == 0xFFFE || c == 0xFFFF) {
      std::snprintf(buffer, sizeof buffer, "\\u%04X", static_cast<unsigned>(c));
      out += buffer;
    } else if (raw.empty()) {
      out += kReplacementUtf8;
    } else {
      out += raw;
    }
  });
  return out;
}

}  // namespace

std::string ToValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  ForEachCodePoint(text, [&](char32_t, std::string_view raw) {
    out += raw.empty() ? kReplacementUtf8 : raw;
  });
  return out;
}

std::string XmlEscapeText(std::string_view text) { return XmlEscape(text, false); }
std::string XmlEscapeAttribute(std::string_view text) { return XmlEscape(text, true); }

}  // namespace otasim::report
