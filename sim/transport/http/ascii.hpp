// Internal to the HTTP transport: ASCII case folding, for what HTTP and URLs compare without
// regard to case (header names, methods, connection options, schemes and hosts).
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace otasim::http {

inline std::string AsciiLower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace otasim::http
