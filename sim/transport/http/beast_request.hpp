// The server's request parser and the conversion of what it parsed into a Request. Private to
// this library (Beast stays in its translation units).
#pragma once

#include <boost/beast/http.hpp>

#include "http_types.hpp"

namespace otasim::http::detail {

using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// Header and body limits from the options.
void ConfigureParser(RequestParser& parser, const ServerOptions& options);

// Method, target, headers (lower-case names; repeated fields joined with ", ") and body.
Request ToRequest(const boost::beast::http::request<boost::beast::http::string_body>& message);

}  // namespace otasim::http::detail
