#include "scenario/transport_wrap.hpp"

#include <charconv>

namespace otasim::scenario {
namespace {

struct SchemeInfo {
  const char* scheme;
  std::uint16_t default_port;
  bool secure;
};

constexpr SchemeInfo kSchemes[] = {{"https", 443, true},  {"http", 80, false},
                                   {"coaps", 5684, true}, {"coap", 5683, false},
                                   {"mqtts", 8883, true}, {"mqtt", 1883, false},
                                   {"ssl", 8883, true},   {"tcp", 1883, false}};

const char* FieldFor(const std::string& protocol) {
  if (protocol == "http") return "base_url";
  if (protocol == "coap") return "base_uri";
  if (protocol == "mqtt") return "broker";
  return nullptr;
}

}  // namespace

Result<TransportEndpoint> GenuineEndpoint(const std::string& protocol, const nlohmann::json& block,
                                          std::string ca_cert_pem) {
  const char* field = FieldFor(protocol);
  if (field == nullptr) return MakeError(Errc::kUnsupported, "no transport for protocol " + protocol);
  if (!block.is_object() || !block.contains(field) || !block[field].is_string()) {
    return MakeError(Errc::kInvalidArgument, std::string("endpoint block without ") + field);
  }
  const std::string url = block[field].get<std::string>();
  const auto sep = url.find("://");
  if (sep == std::string::npos) return MakeError(Errc::kParse, std::string(field) + ": no scheme in " + url);
  const std::string scheme = url.substr(0, sep);
  const SchemeInfo* info = nullptr;
  for (const auto& s : kSchemes) {
    if (scheme == s.scheme) info = &s;
  }
  if (info == nullptr) return MakeError(Errc::kParse, std::string(field) + ": unknown scheme " + scheme);
  const std::string authority = url.substr(sep + 3, url.find('/', sep + 3) - (sep + 3));
  TransportEndpoint endpoint;
  endpoint.protocol = protocol;
  endpoint.endpoint = block;
  endpoint.secure = info->secure;
  endpoint.port = info->default_port;
  endpoint.ca_cert_pem = std::move(ca_cert_pem);
  std::string port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) return MakeError(Errc::kParse, std::string(field) + ": bad host in " + url);
    endpoint.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port_text = authority.substr(close + 2);
  } else {
    const auto colon = authority.rfind(':');
    endpoint.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (!port_text.empty()) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 || value > 65535) {
      return MakeError(Errc::kParse, std::string(field) + ": bad port in " + url);
    }
    endpoint.port = static_cast<std::uint16_t>(value);
  }
  if (endpoint.host.empty()) return MakeError(Errc::kParse, std::string(field) + ": no host in " + url);
  return endpoint;
}

TransportWrap::TransportWrap(SessionContext& session, std::vector<Attacker*> attackers,
                             nlohmann::json& slot)
    : session_(session), attackers_(std::move(attackers)), slot_(slot), genuine_block_(slot) {}

TransportWrap::~TransportWrap() { Stop(); }

Result<bool> TransportWrap::Wrap(const TransportEndpoint& genuine) {
  for (std::size_t i = 0; i < attackers_.size(); ++i) {
    auto replacement = attackers_[i]->WrapEndpoint(session_, genuine);
    if (!replacement) return replacement.error().WithContext("attacker " + std::to_string(i + 1) + " on the transport");
    if (!*replacement) continue;
    if (wrapped_) {
      return MakeError(Errc::kInvalidArgument, "two attackers of one step stand on the transport");
    }
    wrapped_ = true;
    slot_ = **replacement;
    session_.timeline().Add("harness", "transport-wrapped",
                            {{"attacker", i + 1}, {"genuine", genuine_block_}, {"device_sees", slot_}});
  }
  return wrapped_;
}

void TransportWrap::Stop() noexcept {
  if (stopped_) return;
  stopped_ = true;
  for (Attacker* attacker : attackers_) attacker->StopTransport();
  if (wrapped_) {
    slot_ = genuine_block_;
    session_.timeline().Add("harness", "transport-restored", {});
  }
}

}  // namespace otasim::scenario
