// attack.redirect: the image location points at a host the attacker runs (a hijacked mirror or
// CDN) that serves other bytes of the right size. Even a location the device trusts (a valid
// certificate from its own CA) must not let the image skip the digest check.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/byte_sources.hpp"
#include "http_server.hpp"
#include "otasim/plugin.hpp"

namespace otasim::attackers {
namespace {

constexpr std::string_view kMirrorPrefix = "/mirror/";

class Redirect final : public Attacker {
 public:
  explicit Redirect(const Params& params)
      : content_(params.GetString("content")),
        other_release_(params.GetString("release")),
        scheme_(params.GetString("scheme")) {}
  ~Redirect() override { StopTransport(); }

  static TypeInfo Describe() {
    return {.id = "attack.redirect",
            .version = "1.0.0",
            .summary = "point the image location at an attacker host serving other bytes",
            .params = {{.name = "content",
                        .type = ParamType::kEnum,
                        .default_value = "other-release",
                        .help = "other-release: the image of `release`, cut or padded to the "
                                "size asked for; garbage: random bytes of that size",
                        .choices = {"other-release", "garbage"}},
                       {.name = "release",
                        .type = ParamType::kString,
                        .default_value = "",
                        .help = "other-release: the release whose image is served (required)"},
                       {.name = "scheme",
                        .type = ParamType::kEnum,
                        .default_value = "auto",
                        .help = "https: a certificate from the device's own CA (the session must "
                                "issue one); http: plain; auto: https when the session can",
                        .choices = {"auto", "https", "http"}}},
            .threats = {"redirect", "THREAT.NET.REDIRECT"},
            .protocols = {"http", "mqtt"}};
  }

  Status Prepare(SessionContext& session) override {
    session_ = &session;
    if (content_ == "other-release") {
      if (other_release_.empty()) {
        return MakeError(Errc::kInvalidArgument, "attack.redirect: content other-release needs "
                                                 "`release`");
      }
      if (session.FindRelease(other_release_) == nullptr) {
        return MakeError(Errc::kInvalidArgument,
                         "attack.redirect: no release named '" + other_release_ + "'");
      }
    }
    if (server_) return {};
    http::ServerOptions options;
    options.bind_address = "127.0.0.1";
    OTASIM_TRY(options.tls, TlsConfig(session));
    auto server = http::StartServer(options, [this](const http::Request& request) {
      return Serve(request);
    });
    if (!server) return server.error().WithContext("attack.redirect: mirror server");
    server_ = std::move(server).value();
    session.timeline().Add("attacker", "redirect-host",
                           {{"base_url", server_->BaseUrl()}, {"content", content_}});
    return {};
  }

  Status OnImage(SessionContext& session, const RequestInfo& request,
                 ImageDelivery& delivery) override {
    if (!server_ || delivery.release == nullptr) return {};
    delivery.redirect_url =
        server_->BaseUrl() + std::string(kMirrorPrefix) + delivery.release->image_file;
    session.timeline().Add("attacker", "redirect",
                           {{"location", delivery.redirect_url},
                            {"release", delivery.release->name},
                            {"request_index", request.index}});
    return {};
  }

  void StopTransport() noexcept override {
    if (!server_) return;
    try {
      server_->Stop();
    } catch (...) {  // noexcept by contract: a failing transport must not end the run
    }
    server_.reset();
  }

 private:
  Result<std::optional<http::TlsServerConfig>> TlsConfig(SessionContext& session) {
    using Tls = std::optional<http::TlsServerConfig>;
    if (scheme_ == "http") return Tls{};
    auto issued = session.IssueCertificate(CertificateIssuer::kGenuineCa, {"127.0.0.1"});
    if (!issued) {
      if (scheme_ == "https") return issued.error().WithContext("attack.redirect: certificate");
      session.timeline().Add("attacker", "redirect-plain",
                             {{"why", "the session issues no certificate: " +
                                          issued.error().message()}});
      return Tls{};
    }
    return Tls{http::TlsServerConfig{.cert_chain_pem = issued->cert_pem,
                                     .key_pem = issued->key_pem}};
  }

  // Runs on the mirror's thread: /mirror/<image file> answers with other bytes of that image's
  // size (the Range header is ignored: the whole image, as a plain mirror would).
  http::Response Serve(const http::Request& request) {
    const std::string_view target = request.target;
    const Release* asked = nullptr;
    if (request.method == "GET" && target.starts_with(kMirrorPrefix)) {
      const std::string_view file = target.substr(kMirrorPrefix.size());
      if (file.ends_with(".bin")) asked = session_->FindRelease(file.substr(0, file.size() - 4));
    }
    if (asked == nullptr) return http::Response::Text(404, "not found\n");
    const std::uint64_t size = ImageSize(*asked);
    ByteSourcePtr body;
    if (content_ == "garbage") {
      body = RandomBytes(session_->Seed("attack.redirect"), size);
    } else {
      const Release* other = session_->FindRelease(other_release_);
      auto opened = OpenFileSource(other->image_path);
      if (!opened) return http::Response::Text(500, "mirror: " + opened.error().What() + "\n");
      // Exactly the size asked for, so that only the digest tells the bytes apart.
      body = Truncate(Concat(std::move(*opened), RandomBytes(session_->Seed("attack.redirect"),
                                                             std::nullopt)),
                      size);
    }
    http::Response response;
    response.status = 200;
    response.headers["content-type"] = "application/octet-stream";
    response.stream = std::move(body);
    response.declared_length = size;
    Timeline* timeline = &session_->timeline();
    response.on_body_end = [timeline, content = content_, name = asked->name](
                               const http::BodyOutcome& outcome) {
      timeline->Add("attacker", "redirect-served",
                    {{"release", name},
                     {"content", content},
                     {"bytes", outcome.bytes_written},
                     {"end", std::string(http::BodyEndName(outcome.end))}});
    };
    return response;
  }

  std::string content_;
  std::string other_release_;
  std::string scheme_;
  SessionContext* session_ = nullptr;
  std::unique_ptr<http::Server> server_;
};

}  // namespace
}  // namespace otasim::attackers

OTASIM_PLUGIN("attack.redirect", "1.0.0") { registrar.Add<otasim::attackers::Redirect>(); }
