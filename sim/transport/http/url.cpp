// URL parsing and reference resolution (RFC 3986, the subset HTTP update clients need).
// No Beast here: this file compiles fast and is unit-tested on its own.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

#include "ascii.hpp"
#include "http_types.hpp"

namespace otasim::http {
namespace {

std::uint16_t DefaultPort(const std::string& scheme) { return scheme == "https" ? 443 : 80; }

// True when `text` starts with "scheme:" (RFC 3986 section 3.1).
bool HasScheme(std::string_view text) {
  if (text.empty() || !std::isalpha(static_cast<unsigned char>(text[0]))) return false;
  for (char c : text) {
    if (c == ':') return true;
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return false;
    }
  }
  return false;
}

std::string StripFragment(std::string_view text) {
  return std::string(text.substr(0, text.find('#')));
}

// RFC 3986 section 5.2.4 on an absolute path ("/a/b/../c" -> "/a/c"); a query is kept as is.
std::string RemoveDotSegments(const std::string& target) {
  std::size_t query_at = target.find('?');
  std::string path = target.substr(0, query_at);
  std::string query = query_at == std::string::npos ? "" : target.substr(query_at);

  std::vector<std::string> out;
  std::size_t pos = 1;  // after the leading "/"
  while (true) {
    std::size_t slash = path.find('/', pos);
    std::string segment = path.substr(pos, slash == std::string::npos ? std::string::npos
                                                                       : slash - pos);
    bool last = slash == std::string::npos;
    if (segment == ".") {
      if (last) out.emplace_back();  // "/a/." means the directory "/a/"
    } else if (segment == "..") {
      if (!out.empty()) out.pop_back();
      if (last) out.emplace_back();
    } else {
      out.push_back(segment);
    }
    if (last) break;
    pos = slash + 1;
  }
  std::string result;
  for (const auto& segment : out) result += "/" + segment;
  if (result.empty()) result = "/";
  return result + query;
}

}  // namespace

std::string Url::ToString() const {
  std::string text = scheme + "://";
  text += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != DefaultPort(scheme)) text += ":" + std::to_string(port);
  return text + (target.empty() ? "/" : target);
}

Result<Url> ParseUrl(const std::string& text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return MakeError(Errc::kParse, "URL contains a space or control character: " + text);
    }
  }
  std::size_t colon = text.find("://");
  if (colon == std::string::npos || !HasScheme(text)) {
    return MakeError(Errc::kParse, "not an absolute URL: " + text);
  }
  Url url;
  url.scheme = AsciiLower(std::string_view(text).substr(0, colon));
  if (url.scheme != "http" && url.scheme != "https") {
    return MakeError(Errc::kUnsupported, "unsupported URL scheme '" + url.scheme + "': " + text);
  }

  std::string rest = StripFragment(std::string_view(text).substr(colon + 3));
  std::size_t authority_end = rest.find_first_of("/?");
  std::string authority = rest.substr(0, authority_end);
  std::string target = authority_end == std::string::npos ? "" : rest.substr(authority_end);
  if (authority.find('@') != std::string::npos) {
    return MakeError(Errc::kUnsupported, "user information in URLs is not supported: " + text);
  }

  std::string port_text;
  if (!authority.empty() && authority[0] == '[') {  // IPv6 literal
    std::size_t close = authority.find(']');
    if (close == std::string::npos) return MakeError(Errc::kParse, "unclosed '[' in URL: " + text);
    url.host = authority.substr(1, close - 1);
    std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return MakeError(Errc::kParse, "junk after ']' in URL: " + text);
      port_text = after.substr(1);
    }
  } else {
    std::size_t port_colon = authority.find(':');
    url.host = authority.substr(0, port_colon);
    if (port_colon != std::string::npos) port_text = authority.substr(port_colon + 1);
  }
  if (url.host.empty()) return MakeError(Errc::kParse, "URL has no host: " + text);
  url.host = AsciiLower(url.host);

  url.port = DefaultPort(url.scheme);
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return MakeError(Errc::kParse, "bad port '" + port_text + "' in URL: " + text);
    }
    url.port = static_cast<std::uint16_t>(value);
  }

  if (target.empty() || target[0] == '?') target = "/" + target;
  url.target = RemoveDotSegments(target);
  return url;
}

Result<Url> ResolveUrl(const Url& base, const std::string& reference) {
  if (HasScheme(reference)) return ParseUrl(reference);
  if (reference.rfind("//", 0) == 0) return ParseUrl(base.scheme + ":" + reference);

  std::string ref = StripFragment(reference);
  Url url = base;
  if (ref.empty()) return url;
  if (ref[0] == '/') {
    url.target = RemoveDotSegments(ref);
  } else if (ref[0] == '?') {
    url.target = base.target.substr(0, base.target.find('?')) + ref;
  } else {
    // Merge with the base path's "directory" (everything up to its last "/").
    std::string base_path = base.target.substr(0, base.target.find('?'));
    std::size_t last_slash = base_path.rfind('/');
    std::string directory =
        last_slash == std::string::npos ? "/" : base_path.substr(0, last_slash + 1);
    url.target = RemoveDotSegments(directory + ref);
  }
  for (char c : url.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return MakeError(Errc::kParse, "URL reference contains a space or control character: " +
                                         reference);
    }
  }
  return url;
}

}  // namespace otasim::http
