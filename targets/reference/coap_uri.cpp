#include "coap_uri.hpp"

#include <vector>

namespace otasim::device {
namespace {

Error Bad(const std::string& text, const std::string& problem) {
  return MakeError(Errc::kParse, "CoAP URI '" + text + "': " + problem);
}

// "/a/./b/../c" -> "/a/c"; never above the root.
std::string RemoveDotSegments(const std::string& path) {
  std::vector<std::string> kept;
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string segment = path.substr(start, end - start);
    if (segment == "..") {
      if (!kept.empty()) kept.pop_back();
    } else if (segment != ".") {
      kept.push_back(segment);
    }
    start = end + 1;
  }
  std::string out;
  for (const auto& segment : kept) out += "/" + segment;
  return out.empty() ? "/" : out;
}

}  // namespace

std::string CoapUri::ToString() const {
  const bool v6 = host.find(':') != std::string::npos;
  return std::string(secure ? "coaps://" : "coap://") + (v6 ? "[" + host + "]" : host) + ":" +
         std::to_string(port) + path + (query.empty() ? "" : "?" + query);
}

Result<CoapUri> ParseCoapUri(const std::string& text) {
  CoapUri uri;
  std::string rest;
  if (text.rfind("coaps://", 0) == 0) {
    uri.secure = true;
    rest = text.substr(8);
  } else if (text.rfind("coap://", 0) == 0) {
    rest = text.substr(7);
  } else {
    return Bad(text, "the scheme must be coap or coaps");
  }
  if (const auto hash = rest.find('#'); hash != std::string::npos) {
    return Bad(text, "a fragment is not allowed");
  }
  const std::size_t path_start = rest.find_first_of("/?");
  std::string authority = rest.substr(0, path_start);
  std::string path_query = path_start == std::string::npos ? "" : rest.substr(path_start);

  std::string port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) return Bad(text, "unclosed '[' in the host");
    uri.host = authority.substr(1, close - 1);
    const std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Bad(text, "junk after the IPv6 host");
      port_text = after.substr(1);
    }
  } else {
    const auto colon = authority.find(':');
    uri.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (uri.host.empty()) return Bad(text, "no host");
  uri.port = uri.secure ? 5684 : 5683;
  if (!port_text.empty()) {
    if (port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(port_text) == 0 || std::stoul(port_text) > 65535) {
      return Bad(text, "port '" + port_text + "' is not 1..65535");
    }
    uri.port = static_cast<std::uint16_t>(std::stoul(port_text));
  }
  const auto question = path_query.find('?');
  uri.path = path_query.substr(0, question);
  if (question != std::string::npos) uri.query = path_query.substr(question + 1);
  uri.path = RemoveDotSegments(uri.path.empty() ? "/" : uri.path);
  return uri;
}

Result<CoapUri> ResolveCoapUri(const CoapUri& base, const std::string& reference) {
  if (reference.empty()) return MakeError(Errc::kParse, "empty URI reference");
  if (reference.rfind("coap://", 0) == 0 || reference.rfind("coaps://", 0) == 0) {
    return ParseCoapUri(reference);
  }
  if (reference.find("://") != std::string::npos) {
    return MakeError(Errc::kParse,
                     "URI reference '" + reference + "' is neither coap:// nor coaps://");
  }
  CoapUri resolved = base;
  const auto question = reference.find('?');
  std::string path = reference.substr(0, question);
  resolved.query = question == std::string::npos ? "" : reference.substr(question + 1);
  if (path.empty() || path.front() != '/') {
    path = base.path.substr(0, base.path.rfind('/') + 1) + path;
  }
  resolved.path = RemoveDotSegments(path);
  return resolved;
}

}  // namespace otasim::device
