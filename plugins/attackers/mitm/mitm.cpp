// attack.mitm: an on-path attacker between the device and the update server (or broker). It
// answers the device with a certificate of its choice — from a CA the device does not trust, a
// self-signed one, or a valid one for another name — and relays to the genuine server as its
// client, optionally editing the bytes in flight (TCP only). Over CoAP the proxy is a DTLS
// server towards the device and a CoAPS client of the genuine server. A secure device refuses
// the handshake; the proxy log records the refusal.
#include <memory>
#include <mutex>

#include "attacker_support.hpp"
#include "coap_relay.hpp"
#include "otasim/plugin.hpp"
#include "tcp_relay.hpp"

namespace otasim::attackers {
namespace {

constexpr const char* kWrongName = "update.attacker.invalid";

class Mitm final : public Attacker {
 public:
  explicit Mitm(const Params& params)
      : certificate_(params.GetString("certificate")),
        edit_find_(params.GetString("edit_find")),
        edit_replace_(params.GetString("edit_replace")),
        edit_direction_(params.GetString("edit_direction")) {}

  static TypeInfo Describe() {
    return {.id = "attack.mitm",
            .version = "1.0.0",
            .summary = "TLS interception on path: rogue CA, self-signed, valid cert for another "
                       "name, or a plain relay; optional byte edits",
            .params = {{.name = "certificate",
                        .type = ParamType::kEnum,
                        .default_value = "rogue-ca",
                        .help = "what the proxy shows the device: rogue-ca (issued by a CA the "
                                "device does not trust), self-signed, wrong-name (issued by the "
                                "genuine CA for update.attacker.invalid only), none (plaintext "
                                "relay; the device is told a plaintext URL)",
                        .choices = {"rogue-ca", "self-signed", "wrong-name", "none"}},
                       {.name = "edit_find",
                        .type = ParamType::kString,
                        .default_value = "",
                        .help = "bytes to replace in the relayed stream (empty: no edit; HTTP "
                                "and MQTT only)"},
                       {.name = "edit_replace",
                        .type = ParamType::kString,
                        .default_value = "",
                        .help = "what replaces each occurrence of edit_find"},
                       {.name = "edit_direction",
                        .type = ParamType::kEnum,
                        .default_value = "to-device",
                        .help = "which stream the edit applies to",
                        .choices = {"to-device", "to-server"}}},
            .threats = {"THREAT.NET.ONPATH", "tls-interception", "mitm"},
            .protocols = {"http", "mqtt", "coap"}};
  }

  Result<std::optional<nlohmann::json>> WrapEndpoint(SessionContext& session,
                                                     const TransportEndpoint& genuine) override {
    proxy::RelayOptions options = proxy::RelayTowards(session, genuine, "attack.mitm");
    if (certificate_ != "none") {
      OTASIM_TRY(IssuedCertificate cert, Issue(session, genuine));
      options.device.tls = true;
      options.device.cert_pem = cert.cert_pem;
      options.device.key_pem = cert.key_pem;
    }
    if (!edit_find_.empty()) {
      options.edits.push_back({edit_direction_ == "to-server" ? proxy::EditDirection::kToServer
                                                              : proxy::EditDirection::kToDevice,
                               edit_find_, edit_replace_});
    }
    std::unique_ptr<proxy::TcpRelay> relay;
    std::unique_ptr<proxy::CoapRelay> coap_relay;
    if (genuine.protocol == "coap") {
      if (!edit_find_.empty()) {
        return MakeError(Errc::kUnsupported, "attack.mitm: edit_find is not supported over CoAP");
      }
      OTASIM_TRY(coap_relay, proxy::CoapRelay::Start(std::move(options)));
    } else {
      OTASIM_TRY(relay, proxy::TcpRelay::Start(std::move(options)));
    }
    const std::uint16_t port = relay ? relay->port() : coap_relay->port();
    const std::string scheme = certificate_ == "none" ? proxy::PlainScheme(genuine.protocol) : "";
    OTASIM_TRY(nlohmann::json block, proxy::PointAt(genuine, port, scheme));
    session.timeline().Add("attacker", "mitm-start",
                           {{"certificate", certificate_},
                            {"port", port},
                            {"genuine", genuine.host + ":" + std::to_string(genuine.port)},
                            {"edit", !edit_find_.empty()}});
    std::lock_guard lock(mutex_);
    relay_ = std::move(relay);
    coap_relay_ = std::move(coap_relay);
    timeline_ = &session.timeline();
    return std::optional<nlohmann::json>(std::move(block));
  }

  void StopTransport() noexcept override {
    std::lock_guard lock(mutex_);
    if (relay_) {
      relay_->Stop();
      if (timeline_ != nullptr) timeline_->Add("attacker", "mitm-summary", relay_->Summary());
      relay_.reset();
    }
    if (coap_relay_) {
      coap_relay_->Stop();
      if (timeline_ != nullptr) timeline_->Add("attacker", "mitm-summary", coap_relay_->Summary());
      coap_relay_.reset();
    }
  }

  ~Mitm() override { StopTransport(); }

 private:
  Result<IssuedCertificate> Issue(SessionContext& session, const TransportEndpoint& genuine) {
    if (certificate_ == "wrong-name") {
      return session.IssueCertificate(CertificateIssuer::kGenuineCa, {kWrongName});
    }
    // The right names, from the wrong issuer.
    std::vector<std::string> names{genuine.host};
    if (genuine.host != "localhost") names.push_back("localhost");
    return session.IssueCertificate(certificate_ == "self-signed" ? CertificateIssuer::kSelfSigned
                                                                  : CertificateIssuer::kRogueCa,
                                    names);
  }

  const std::string certificate_;
  const std::string edit_find_;
  const std::string edit_replace_;
  const std::string edit_direction_;
  std::mutex mutex_;
  std::unique_ptr<proxy::TcpRelay> relay_;
  std::unique_ptr<proxy::CoapRelay> coap_relay_;  // CoAP(S): the UDP relay instead
  Timeline* timeline_ = nullptr;
};

}  // namespace
}  // namespace otasim::attackers

OTASIM_PLUGIN("attack.mitm", "1.0.0") { registrar.Add<otasim::attackers::Mitm>(); }
