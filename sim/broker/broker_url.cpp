#include "broker_url.hpp"

#include <charconv>

namespace otasim::broker {
namespace {

Error Bad(std::string_view url, const std::string& why) {
  return MakeError(Errc::kInvalidArgument, "broker URL '" + std::string(url) + "': " + why);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> PercentDecode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return MakeError(Errc::kInvalidArgument, "truncated %-escape");
    const int high = HexValue(text[i + 1]);
    const int low = HexValue(text[i + 2]);
    if (high < 0 || low < 0) return MakeError(Errc::kInvalidArgument, "bad %-escape");
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

}  // namespace

std::string BrokerUrl::DeviceUri() const {
  return std::string(tls ? "mqtts://" : "mqtt://") + host + ":" + std::to_string(port);
}

std::string BrokerUrl::PahoUri() const {
  return std::string(tls ? "ssl://" : "tcp://") + host + ":" + std::to_string(port);
}

Result<BrokerUrl> ParseBrokerUrl(std::string_view url) {
  BrokerUrl parsed;
  std::string_view rest = url;
  if (rest.starts_with("mqtts://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("mqtt://")) {
    parsed.tls = false;
    parsed.port = 1883;
    rest.remove_prefix(7);
  } else {
    return Bad(url, "the scheme must be mqtts:// or mqtt://");
  }
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) return Bad(url, "a path is not allowed");

  if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    const std::size_t colon = userinfo.find(':');
    auto user = PercentDecode(userinfo.substr(0, colon));
    if (!user) return Bad(url, "user name: " + user.error().message());
    parsed.username = std::move(*user);
    if (colon != std::string_view::npos) {
      auto password = PercentDecode(userinfo.substr(colon + 1));
      if (!password) return Bad(url, "password: " + password.error().message());
      parsed.password = std::move(*password);
    }
    if (parsed.username.empty()) return Bad(url, "empty user name");
  }

  std::string_view host = rest;
  if (const std::size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    std::string_view digits = rest.substr(colon + 1);
    unsigned port = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || port == 0 ||
        port > 65535) {
      return Bad(url, "bad port '" + std::string(digits) + "'");
    }
    parsed.port = static_cast<std::uint16_t>(port);
  }
  if (host.empty()) return Bad(url, "no host");
  parsed.host = std::string(host);
  return parsed;
}

}  // namespace otasim::broker
