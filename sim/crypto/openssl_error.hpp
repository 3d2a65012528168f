// Internal: turns OpenSSL's thread-local error queue into an otasim Error.
#pragma once

#include <string>
#include <string_view>

#include "otasim/result.hpp"

namespace otasim::crypto {

// Drains the error queue into "error:...; error:..." text (empty when the queue is empty).
std::string DrainOpenSslErrors();

// A kCrypto (or other) error saying what failed, with OpenSSL's own reasons appended.
Error OpenSslError(std::string_view what, Errc code = Errc::kCrypto);

}  // namespace otasim::crypto
