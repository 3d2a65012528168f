#include "log.hpp"

#include <cstdio>
#include <string>

namespace otasim::device {

void Log(std::string_view line) {
  std::string text = "otasim-device: ";
  // One decision, one line: line breaks inside (OpenSSL's messages end with one) become spaces.
  for (const char c : line) text += (c == '\n' || c == '\r') ? ' ' : c;
  while (text.back() == ' ') text.pop_back();
  text += '\n';
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

}  // namespace otasim::device
