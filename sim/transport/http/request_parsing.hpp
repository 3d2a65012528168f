// Turning request bytes into a Request without a socket: the same parser settings and field
// handling the server uses, so that request parsing can be fuzzed and tested alone.
#pragma once

#include <string_view>

#include "http_types.hpp"

namespace otasim::http {

// One request from `bytes` (a complete message; what follows it is ignored). Errors (kProtocol)
// carry Beast's reason: malformed syntax, header or body over the options' limits, or bytes
// ending before the message does.
Result<Request> ParseRequestBytes(std::string_view bytes, const ServerOptions& options);

}  // namespace otasim::http
