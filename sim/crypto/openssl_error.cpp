#include "openssl_error.hpp"

#include <openssl/err.h>

namespace otasim::crypto {

std::string DrainOpenSslErrors() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text;
}

Error OpenSslError(std::string_view what, Errc code) {
  std::string reasons = DrainOpenSslErrors();
  std::string message(what);
  if (!reasons.empty()) message += " (" + reasons + ")";
  return Error(code, std::move(message));
}

}  // namespace otasim::crypto
