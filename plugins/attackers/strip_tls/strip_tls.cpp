// attack.strip-tls: the attacker takes TLS away. In `plaintext` mode it answers the device's TLS
// port without TLS (and relays a plaintext session to the genuine server as a TLS client); in
// `redirect` mode (HTTP) a front end the device trusts answers the manifest request with a
// redirect to a plaintext URL the attacker serves. A secure device never continues without TLS.
// Over CoAP, `plaintext` answers the device's CoAPS port with plain CoAP: its DTLS handshake
// gets no answer, and a plain CoAP request is relayed to the genuine server over DTLS.
#include <memory>
#include <mutex>

#include "attacker_support.hpp"
#include "coap_relay.hpp"
#include "otasim/plugin.hpp"
#include "tcp_relay.hpp"

namespace otasim::attackers {
namespace {

class StripTls final : public Attacker {
 public:
  explicit StripTls(const Params& params) : mode_(params.GetString("mode")) {}

  static TypeInfo Describe() {
    return {.id = "attack.strip-tls",
            .version = "1.0.0",
            .summary = "take TLS away: answer the TLS port in plaintext, or redirect the "
                       "manifest request to a plaintext URL",
            .params = {{.name = "mode",
                        .type = ParamType::kEnum,
                        .default_value = "plaintext",
                        .help = "plaintext: the device's TLS port speaks plaintext (the relay "
                                "forwards a plaintext session to the genuine server); redirect "
                                "(HTTP only): a front end with a certificate the device trusts "
                                "answers the manifest request with a 302 to an http:// URL",
                        .choices = {"plaintext", "redirect"}}},
            .threats = {"THREAT.NET.ONPATH", "tls-stripping", "downgrade-to-plaintext"},
            .protocols = {"http", "mqtt", "coap"}};
  }

  Result<std::optional<nlohmann::json>> WrapEndpoint(SessionContext& session,
                                                     const TransportEndpoint& genuine) override {
    if (!genuine.secure) {
      // Nothing to strip: the session runs in plaintext already.
      session.timeline().Add("attacker", "strip-tls-skipped", {{"why", "the endpoint is plaintext"}});
      return std::optional<nlohmann::json>{};
    }
    if (mode_ == "redirect" && genuine.protocol != "http") {
      return MakeError(Errc::kInvalidArgument, "attack.strip-tls: mode redirect is HTTP only");
    }
    // The plaintext relay: device in the clear, genuine server over verified TLS.
    proxy::RelayOptions plain = proxy::RelayTowards(session, genuine, "attack.strip-tls plaintext");
    plain.drop_tls_hello = mode_ == "plaintext";
    if (genuine.protocol == "coap") return StartCoap(session, genuine, std::move(plain));
    OTASIM_TRY(auto plain_relay, proxy::TcpRelay::Start(std::move(plain)));
    nlohmann::json block;
    if (mode_ == "plaintext") {
      // Same scheme (the device still expects TLS), the attacker's port.
      OTASIM_TRY(block, proxy::PointAt(genuine, plain_relay->port()));
    } else {
      OTASIM_TRY(block, StartRedirector(session, genuine, plain_relay->port()));
    }
    session.timeline().Add("attacker", "strip-tls-start",
                           {{"mode", mode_},
                            {"plaintext_port", plain_relay->port()},
                            {"device_sees", block}});
    std::lock_guard lock(mutex_);
    relays_.push_back(std::move(plain_relay));
    timeline_ = &session.timeline();
    return std::optional<nlohmann::json>(std::move(block));
  }

  void StopTransport() noexcept override {
    std::lock_guard lock(mutex_);
    for (auto& relay : relays_) {
      relay->Stop();
      if (timeline_ != nullptr) timeline_->Add("attacker", "strip-tls-summary", relay->Summary());
    }
    relays_.clear();
    if (coap_relay_) {
      coap_relay_->Stop();
      if (timeline_ != nullptr) timeline_->Add("attacker", "strip-tls-summary", coap_relay_->Summary());
      coap_relay_.reset();
    }
  }

  ~StripTls() override { StopTransport(); }

 private:
  // A TLS front end with a certificate the device trusts (a compromised front end), whose only
  // answer is a redirect of the manifest to the plaintext relay.
  Result<nlohmann::json> StartRedirector(SessionContext& session, const TransportEndpoint& genuine,
                                         std::uint16_t plain_port) {
    OTASIM_TRY(IssuedCertificate cert,
               session.IssueCertificate(CertificateIssuer::kGenuineCa, {"127.0.0.1", "localhost"}));
    OTASIM_TRY(nlohmann::json plain_block, proxy::PointAt(genuine, plain_port, "http"));
    const std::string target = plain_block["base_url"].get<std::string>() + "/manifest";
    proxy::RelayOptions front = proxy::RelayTowards(session, genuine, "attack.strip-tls redirect");
    front.device.tls = true;
    front.device.cert_pem = cert.cert_pem;
    front.device.key_pem = cert.key_pem;
    front.canned_response = "HTTP/1.1 302 Found\r\nLocation: " + target +
                            "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    OTASIM_TRY(auto front_relay, proxy::TcpRelay::Start(std::move(front)));
    OTASIM_TRY(nlohmann::json block, proxy::PointAt(genuine, front_relay->port()));
    session.timeline().Add("attacker", "strip-tls-redirect", {{"location", target}});
    std::lock_guard lock(mutex_);
    relays_.push_back(std::move(front_relay));
    return block;
  }

  // Plaintext CoAP on the device's CoAPS port (same scheme: the device still expects DTLS).
  Result<std::optional<nlohmann::json>> StartCoap(SessionContext& session,
                                                  const TransportEndpoint& genuine,
                                                  proxy::RelayOptions plain) {
    OTASIM_TRY(auto relay, proxy::CoapRelay::Start(std::move(plain)));
    OTASIM_TRY(nlohmann::json block, proxy::PointAt(genuine, relay->port()));
    session.timeline().Add("attacker", "strip-tls-start",
                           {{"mode", mode_}, {"plaintext_port", relay->port()}, {"device_sees", block}});
    std::lock_guard lock(mutex_);
    coap_relay_ = std::move(relay);
    timeline_ = &session.timeline();
    return std::optional<nlohmann::json>(std::move(block));
  }

  const std::string mode_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<proxy::TcpRelay>> relays_;
  std::unique_ptr<proxy::CoapRelay> coap_relay_;
  Timeline* timeline_ = nullptr;
};

}  // namespace
}  // namespace otasim::attackers

OTASIM_PLUGIN("attack.strip-tls", "1.0.0") { registrar.Add<otasim::attackers::StripTls>(); }
