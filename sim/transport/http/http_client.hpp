// A small HTTP/1.1 client (plain or TLS) on Boost.Beast for the reference device and tests.
// One request per connection; every step has a deadline; bodies can be streamed to a sink.
#pragma once

#include <map>
#include <string>

#include "http_types.hpp"

namespace otasim::http {

struct ClientRequest {
  std::string method = "GET";
  std::string url;
  std::map<std::string, std::string> headers;
  std::string body;
  std::size_t max_body = 1 << 20;  // for buffered bodies (no sink); larger is an error
};

// With a sink, body bytes go to the sink and ClientResponse::body stays empty.
// With a header check, it is called once after the response header and before the body (and
// before the sink); when it returns false, Fetch returns success with stopped_by_header_check.
// Errors: kNetwork (connect/read/write), kTimeout, kProtocol (malformed response),
// kCrypto (TLS handshake or certificate verification failed; the message says which).
Result<ClientResponse> Fetch(const ClientRequest& request, const ClientOptions& options,
                             const BodySink& sink = nullptr,
                             const HeaderCheck& header_check = nullptr);

}  // namespace otasim::http
