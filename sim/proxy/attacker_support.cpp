#include "attacker_support.hpp"

namespace otasim::proxy {
namespace {

const char* UrlField(const std::string& protocol) {
  if (protocol == "http") return "base_url";
  if (protocol == "coap") return "base_uri";
  if (protocol == "mqtt") return "broker";
  return nullptr;
}

}  // namespace

std::filesystem::path ProxyLogPath(SessionContext& session) { return session.work_dir() / "proxy.log"; }

RelayOptions RelayTowards(SessionContext& session, const TransportEndpoint& genuine,
                          std::string label) {
  RelayOptions options;
  options.label = std::move(label);
  options.app = genuine.protocol;
  options.upstream.host = genuine.host;
  options.upstream.port = genuine.port;
  options.upstream.tls = genuine.secure;
  options.upstream.ca_pem = genuine.ca_cert_pem;
  options.log_path = ProxyLogPath(session);
  options.capture = session.capture();
  Timeline* timeline = &session.timeline();
  options.on_connection = [timeline](const nlohmann::json& record) {
    nlohmann::json summary = record;
    summary.erase("event");
    timeline->Add("attacker", "proxy-connection", std::move(summary));
  };
  return options;
}

Result<nlohmann::json> PointAt(const TransportEndpoint& genuine, std::uint16_t port,
                               const std::string& scheme) {
  const char* field = UrlField(genuine.protocol);
  if (field == nullptr) return MakeError(Errc::kUnsupported, "no endpoint URL for " + genuine.protocol);
  nlohmann::json block = genuine.endpoint;
  if (!block.contains(field) || !block[field].is_string()) {
    return MakeError(Errc::kInvalidArgument, std::string("endpoint block without ") + field);
  }
  const std::string url = block[field].get<std::string>();
  const auto sep = url.find("://");
  if (sep == std::string::npos) return MakeError(Errc::kParse, std::string(field) + ": no scheme in " + url);
  const auto path = url.find('/', sep + 3);
  const std::string rest = path == std::string::npos ? "" : url.substr(path);
  block[field] = (scheme.empty() ? url.substr(0, sep) : scheme) + "://127.0.0.1:" +
                 std::to_string(port) + rest;
  return block;
}

std::string PlainScheme(const std::string& protocol) { return protocol; }

}  // namespace otasim::proxy
