// The small, Beast-free parts of the HTTP types.
#include <utility>

#include "http_types.hpp"

namespace otasim::http {

std::optional<std::string> Request::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> ClientResponse::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

std::string_view BodyEndName(BodyEnd end) noexcept {
  switch (end) {
    case BodyEnd::kComplete: return "complete";
    case BodyEnd::kCut: return "cut";
    case BodyEnd::kPeerGone: return "peer-gone";
    case BodyEnd::kSourceError: return "source-error";
  }
  return "unknown";
}

Response Response::Text(int status, std::string body, std::string content_type) {
  Response response;
  response.status = status;
  response.headers["content-type"] = std::move(content_type);
  response.body = std::move(body);
  return response;
}

}  // namespace otasim::http
