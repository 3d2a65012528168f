#include "request_parsing.hpp"

#include <algorithm>
#include <cstdint>
#include <string>

#include <boost/asio/buffer.hpp>

#include "ascii.hpp"
#include "beast_request.hpp"

namespace otasim::http {
namespace detail {

void ConfigureParser(RequestParser& parser, const ServerOptions& options) {
  parser.header_limit(
      static_cast<std::uint32_t>(std::min<std::size_t>(options.max_header_bytes, UINT32_MAX)));
  parser.body_limit(options.max_request_body);
}

Request ToRequest(const boost::beast::http::request<boost::beast::http::string_body>& message) {
  Request request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  for (const auto& field : message) {
    std::string name = AsciiLower(field.name_string());
    auto [it, inserted] = request.headers.emplace(name, std::string(field.value()));
    if (!inserted) it->second += ", " + std::string(field.value());  // repeated header
  }
  request.body = message.body();
  return request;
}

}  // namespace detail

Result<Request> ParseRequestBytes(std::string_view bytes, const ServerOptions& options) {
  detail::RequestParser parser;
  detail::ConfigureParser(parser, options);
  boost::system::error_code ec;
  // Beast consumes what it can per call; feed the rest until the message is done.
  while (!parser.is_done() && !bytes.empty()) {
    std::size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    if (ec == boost::beast::http::error::need_more) break;
    if (ec) return MakeError(Errc::kProtocol, "HTTP request: " + ec.message());
    if (used == 0) break;
    bytes.remove_prefix(used);
  }
  if (!parser.is_done()) {
    // Like a peer closing the connection: ends a close-delimited message, else truncates it.
    parser.put_eof(ec);
    if (ec) return MakeError(Errc::kProtocol, "HTTP request: " + ec.message());
    if (!parser.is_done()) return MakeError(Errc::kProtocol, "HTTP request: incomplete");
  }
  return detail::ToRequest(parser.get());
}

}  // namespace otasim::http
