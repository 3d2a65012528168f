// Paths and identities come from the device as raw bytes; records are JSON, which needs UTF-8.
#pragma once

#include <string>
#include <string_view>

namespace otasim::servers::coap_poll {

// Well-formed UTF-8 (no overlong forms, surrogates or code points beyond U+10FFFF).
bool IsUtf8(std::string_view text);

// The text itself when it is UTF-8; otherwise every byte above 0x7f written as \xNN, so that
// it can be recorded and shown.
std::string Printable(std::string_view text);

}  // namespace otasim::servers::coap_poll
