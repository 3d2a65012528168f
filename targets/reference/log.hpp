// One line per decision on stderr: otasim keeps the device's stderr as evidence.
#pragma once

#include <string_view>

namespace otasim::device {

void Log(std::string_view line);

}  // namespace otasim::device
