#include "log.hpp"

#include <cstdio>
#include <string>

namespace otasim::device {

void Log(std::string_view line) {
  std::string text = "otasim-device: ";
  text += line;
  text += '\n';
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

}  // namespace otasim::device
