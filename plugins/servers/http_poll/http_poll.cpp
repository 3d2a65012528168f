// server.http-poll: the honest update service of targets/PROTOCOL.md over HTTP(S) — GET the
// manifest, GET the image (with Range for resume), POST a status report. Every response goes
// through the step's content attackers first, and every request is recorded.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "http_poll.hpp"
#include "http_capture.hpp"
#include "route.hpp"

#include "common/artifact_delivery.hpp"
#include "common/status_report.hpp"
#include "common/trickle.hpp"
#include "http_server.hpp"
#include "otasim/crypto.hpp"
#include "otasim/plugin.hpp"

namespace otasim::servers {
namespace {

constexpr std::string_view kBinSuffix = ".bin";

// The body of a close-delimited response: without a length the transport sends none.
class UnsizedSource final : public ByteSource {
 public:
  explicit UnsizedSource(ByteSourcePtr inner) : inner_(std::move(inner)) {}
  Result<std::size_t> Read(std::span<std::uint8_t> out) override { return inner_->Read(out); }
  std::optional<std::uint64_t> Length() const override { return std::nullopt; }

 private:
  ByteSourcePtr inner_;
};

class HttpPoll final : public UpdateServerModel {
 public:
  explicit HttpPoll(const Params& params)
      : io_timeout_(params.GetDuration("io_timeout")),
        require_client_cert_(params.GetBool("require_client_cert")) {}
  ~HttpPoll() override { Stop(); }

  static TypeInfo Describe() {
    return {.id = "server.http-poll",
            .version = "1.0.0",
            .summary = "HTTP(S) polling update service: GET manifest, GET image, POST status",
            .params = {{.name = "io_timeout",
                        .type = ParamType::kDuration,
                        .default_value = "10s",
                        .help = "deadline of every read and write on a connection"},
                       {.name = "require_client_cert",
                        .type = ParamType::kBool,
                        .default_value = "false",
                        .help = "refuse TLS clients without a certificate from the device CA"}},
            .threats = {},
            .protocols = {"http"}};
  }

  Result<nlohmann::json> Start(ServerEnvironment& env) override {
    if (server_) return MakeError(Errc::kInvalidArgument, "server.http-poll: already started");
    env_ = &env;
    http::ServerOptions options;
    options.bind_address = env.bind_host();
    options.port = env.bind_port();
    options.io_timeout = io_timeout_;
    if (env.UseTls()) {
      const TlsMaterial& tls = env.tls();
      options.tls = http::TlsServerConfig{.cert_chain_pem = tls.server_cert,
                                          .key_pem = tls.server_key,
                                          .client_ca_pem = tls.client_ca,
                                          .require_client_cert = require_client_cert_};
    }
    capture_ = std::make_unique<http_poll::HttpCapture>(env.capture());
    auto server = http::StartServer(options, [this](const http::Request& request) {
      return capture_->Tap(request, Handle(request));
    });
    if (!server) return server.error().WithContext("server.http-poll");
    server_ = std::move(server).value();
    std::string base_url = server_->BaseUrl() + "/" + std::string(env.device_id());
    env.timeline().Add("server", "started", {{"protocol", "http"}, {"base_url", base_url}});
    nlohmann::json endpoint{{"base_url", base_url}};
    if (env.release_format() != nullptr && env.release_format()->SingleFile()) {
      endpoint["artifact_url"] = base_url + "/release";
    }
    return endpoint;
  }

  Status WaitIdle(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(idle_mutex_);
    if (!idle_.wait_for(lock, timeout, [this] { return in_flight_ == 0; })) {
      return MakeError(Errc::kTimeout, "server.http-poll: " + std::to_string(in_flight_) +
                                           " response(s) still in flight");
    }
    return {};
  }

  void Stop() noexcept override {
    if (!server_) return;
    try {
      server_->Stop();
    } catch (...) {  // Stop is noexcept by contract; a failing transport must not end the run
    }
    server_.reset();
    capture_.reset();  // after the server: no response is being written any more
  }

 private:
  // Runs on the server thread. Nothing may escape: an unexpected exception becomes a 500.
  http::Response Handle(const http::Request& request) {
    Exchange exchange;
    exchange.protocol = "http";
    exchange.kind = "other";
    exchange.method = request.method;
    exchange.resource = request.target;
    exchange.client_identity = request.client_identity;
    try {
      // Handlers take copies, so the catch below can still record what was asked.
      http_poll::Route route = http_poll::RouteOf(request.method, request.target, env_->device_id());
      switch (route.resource) {
        case http_poll::Resource::kManifest:
          exchange.kind = "manifest";
          return ServeManifest(exchange);
        case http_poll::Resource::kImage:
          exchange.kind = "image";
          return ServeImage(request, route.image_file, exchange);
        case http_poll::Resource::kStatus:
          exchange.kind = "status";
          return ReceiveStatus(request, exchange);
        case http_poll::Resource::kArtifact:
          // A GET counts for image_requests, resumed and extra bytes; a HEAD fetches nothing.
          exchange.kind = request.method == "HEAD" ? "other" : "image";
          return ServeArtifact(request, exchange);
        case http_poll::Resource::kOther:
          break;
      }
      return NotFound(std::move(exchange));
    } catch (const std::exception& e) {
      env_->timeline().Add("server", "error", {{"target", request.target}, {"error", e.what()}});
      return Finish(std::move(exchange), http::Response::Text(500, "internal error\n"));
    }
  }

  http::Response ServeManifest(Exchange exchange) {
    const Release* published = env_->PublishedRelease();
    if (published != nullptr) exchange.release = published->name;
    ManifestDelivery delivery{published != nullptr ? published->envelope : std::string()};
    RequestInfo info{.protocol = "http", .resource = "manifest", .index = manifest_requests_++};
    std::size_t position = 0;
    for (Attacker* attacker : env_->ActiveAttackers()) {
      Status status = RunHook([&] { return attacker->OnManifest(*env_, info, delivery); });
      if (!status) return AttackerFailed(status.error(), "manifest", position, std::move(exchange));
      ++position;
    }
    if (delivery.envelope.empty()) {
      env_->timeline().Add("server", "manifest-none", {{"request_index", info.index}});
      return Finish(std::move(exchange), http::Response::Text(204, ""));
    }
    env_->RecordServedManifest(delivery.envelope);
    env_->timeline().Add(
        "server", "manifest-served",
        {{"release", exchange.release},
         {"bytes", delivery.envelope.size()},
         {"sha256", crypto::HexEncode(crypto::Sha256::Of(crypto::AsBytes(delivery.envelope)))},
         {"request_index", info.index}});
    return Finish(std::move(exchange),
                  http::Response::Text(200, std::move(delivery.envelope), "application/json"));
  }

  http::Response ServeImage(const http::Request& request, std::string_view file,
                            Exchange exchange) {
    if (file.size() <= kBinSuffix.size() || !file.ends_with(kBinSuffix)) {
      return NotFound(std::move(exchange));
    }
    const Release* release = env_->FindRelease(file.substr(0, file.size() - kBinSuffix.size()));
    if (release == nullptr || release->image_file != file) return NotFound(std::move(exchange));
    exchange.release = release->name;

    std::error_code ec;
    std::uint64_t size = std::filesystem::file_size(release->image_path, ec);
    if (ec) return ServerError("image unreadable: " + ec.message(), std::move(exchange));

    std::optional<std::uint64_t> range;
    if (auto header = request.Header("range")) range = http_poll::ParseOpenRange(*header);
    std::uint64_t offset = range.value_or(0);
    exchange.range_start = offset;
    if (range && offset >= size) {
      http::Response response = http::Response::Text(416, "");
      response.headers["content-range"] = "bytes */" + std::to_string(size);
      return Finish(std::move(exchange), std::move(response));
    }

    auto source = OpenFileSource(release->image_path, offset);
    if (!source) return ServerError(source.error().What(), std::move(exchange));
    ImageDelivery delivery{.release = release, .offset = offset, .source = std::move(*source)};
    RequestInfo info{.protocol = "http",
                     .resource = "image",
                     .index = image_requests_++,
                     .range_start = offset};
    std::size_t position = 0;
    for (Attacker* attacker : env_->ActiveAttackers()) {
      Status status = RunHook([&] { return attacker->OnImage(*env_, info, delivery); });
      if (!status) return AttackerFailed(status.error(), "image", position, std::move(exchange));
      ++position;
    }

    if (!delivery.redirect_url.empty()) return Redirect(delivery.redirect_url, std::move(exchange));
    const bool trickled = ApplyTrickle(delivery);

    http::Response response;
    response.status = range ? 206 : 200;
    response.headers["content-type"] = "application/octet-stream";
    response.headers["accept-ranges"] = "bytes";
    if (range) {
      response.headers["content-range"] =
          "bytes " + std::to_string(offset) + "-" + std::to_string(size - 1) + "/" +
          std::to_string(size);
    }
    ByteSourcePtr body = delivery.source ? std::move(delivery.source) : MemorySource("");
    if (delivery.close_delimited) {
      response.stream = std::make_unique<UnsizedSource>(std::move(body));
    } else {
      response.stream = std::move(body);
      response.declared_length = delivery.declared_length;
    }
    response.cut_after = delivery.cut_after;

    if (delivery.release != nullptr) exchange.release = delivery.release->name;
    ServerEnvironment* env = env_;
    return Finish(std::move(exchange), std::move(response),
                  [env, offset, trickled, rate = delivery.trickle_bytes_per_second](
                      const Exchange& done, const http::BodyOutcome& outcome) {
                    nlohmann::json details = {{"release", done.release},
                                              {"offset", offset},
                                              {"bytes", outcome.bytes_written},
                                              {"end", done.end}};
                    if (trickled) details["trickle_bytes_per_second"] = rate;
                    if (!outcome.detail.empty()) details["detail"] = outcome.detail;
                    env->timeline().Add("server", "image-served", std::move(details));
                  });
  }

  // A single-file release (a .swu): the step's envelope and image through the attackers,
  // rendered by the device's release format, with Range resume over the whole file. The
  // exchange records image bytes (common/artifact_delivery.hpp), the timeline file bytes.
  http::Response ServeArtifact(const http::Request& request, Exchange exchange) {
    std::optional<std::uint64_t> range;
    if (auto header = request.Header("range")) range = http_poll::ParseOpenRange(*header);
    const bool head_only = request.method == "HEAD";
    ArtifactRequest asked{.protocol = "http",
                          .index = head_only ? image_requests_.load() : image_requests_++,
                          .range_start = range.value_or(0),
                          .head_only = head_only};
    auto delivered = DeliverArtifact(*env_, asked);
    if (!delivered) {
      env_->timeline().Add("attacker", "error", {{"hook", "artifact"}, {"error", delivered.error().What()}});
      return Finish(std::move(exchange), http::Response::Text(500, "attacker or format error\n"));
    }
    if (!delivered->has_value()) {
      env_->timeline().Add("server", "artifact-none", {{"request_index", asked.index}});
      return NotFound(std::move(exchange));
    }
    auto artifact = std::make_shared<ArtifactResponse>(std::move(**delivered));
    exchange.release = artifact->release->name;
    exchange.range_start = artifact->image_offset;
    if (range && artifact->offset >= artifact->file_length) {
      http::Response response = http::Response::Text(416, "");
      response.headers["content-range"] = "bytes */" + std::to_string(artifact->file_length);
      return Finish(std::move(exchange), std::move(response));
    }
    if (!artifact->redirect_url.empty()) return Redirect(artifact->redirect_url, std::move(exchange));

    ImageDelivery pacing;  // trickle is applied to the whole file body
    pacing.source = std::move(artifact->body);
    pacing.trickle_bytes_per_second = artifact->trickle_bytes_per_second;
    const bool trickled = ApplyTrickle(pacing);

    http::Response response;
    response.status = range ? 206 : 200;
    response.headers["content-type"] = artifact->content_type;
    response.headers["content-disposition"] = "attachment; filename=\"" + artifact->file_name + "\"";
    response.headers["accept-ranges"] = "bytes";
    if (range) {
      response.headers["content-range"] = "bytes " + std::to_string(artifact->offset) + "-" +
                                          std::to_string(artifact->file_length - 1) + "/" +
                                          std::to_string(artifact->file_length);
    }
    if (artifact->close_delimited) {
      response.stream = std::make_unique<UnsizedSource>(std::move(pacing.source));
    } else {
      response.stream = std::move(pacing.source);
      response.declared_length = artifact->declared_length;
    }
    response.cut_after = artifact->cut_after;
    ServerEnvironment* env = env_;
    return Finish(std::move(exchange), std::move(response),
                  [env, artifact, trickled](Exchange& done, const http::BodyOutcome& outcome) {
                    done.bytes_sent = ImageBytesSent(*artifact, outcome.bytes_written);
                    nlohmann::json details = {{"release", done.release},
                                              {"file", artifact->file_name},
                                              {"offset", artifact->offset},
                                              {"bytes", outcome.bytes_written},
                                              {"end", done.end}};
                    if (trickled) details["trickle_bytes_per_second"] = artifact->trickle_bytes_per_second;
                    if (!outcome.detail.empty()) details["detail"] = outcome.detail;
                    env->timeline().Add("server", "image-served", std::move(details));
                  });
  }

  // An attacker pointed the image elsewhere: 302 to it, body-less.
  http::Response Redirect(const std::string& location, Exchange exchange) {
    env_->timeline().Add("server", "image-redirected",
                         {{"release", exchange.release}, {"location", location}});
    http::Response response = http::Response::Text(302, "");
    response.headers["location"] = location;
    return Finish(std::move(exchange), std::move(response));
  }

  http::Response ReceiveStatus(const http::Request& request, Exchange exchange) {
    auto report = ParseStatusReport(request.body);
    if (!report) {
      env_->timeline().Add("server", "status-malformed", {{"error", report.error().message()}});
      return Finish(std::move(exchange),
                    http::Response::Text(400, report.error().message() + "\n"));
    }
    env_->timeline().Add("server", "status-received",
                         {{"result", report->result},
                          {"reason", report->reason},
                          {"version", report->version},
                          {"sequence", report->sequence},
                          {"code", report->code}});
    env_->RecordStatus(std::move(report).value());
    return Finish(std::move(exchange), http::Response::Text(200, "{}", "application/json"));
  }

  http::Response NotFound(Exchange exchange) {
    env_->timeline().Add("server", "not-found",
                         {{"method", exchange.method}, {"target", exchange.resource}});
    return Finish(std::move(exchange), http::Response::Text(404, "not found\n"));
  }

  http::Response ServerError(const std::string& message, Exchange exchange) {
    env_->timeline().Add("server", "error", {{"target", exchange.resource}, {"error", message}});
    return Finish(std::move(exchange), http::Response::Text(500, "internal error\n"));
  }

  // An attacker that can't do its job is a harness error, not something the device did.
  http::Response AttackerFailed(const Error& error, const char* hook, std::size_t position,
                                Exchange exchange) {
    env_->timeline().Add("attacker", "error",
                         {{"hook", hook}, {"attacker", position}, {"error", error.What()}});
    return Finish(std::move(exchange), http::Response::Text(500, "attacker error\n"));
  }

  // May adjust the exchange before it is recorded (an artifact counts image bytes).
  using OnEnd = std::function<void(Exchange&, const http::BodyOutcome&)>;

  // Every response is recorded once, when it has ended, with the bytes actually sent; until
  // then it counts as in flight for WaitIdle.
  http::Response Finish(Exchange exchange, http::Response response, OnEnd on_end = {}) {
    exchange.status = response.status;
    {
      std::lock_guard lock(idle_mutex_);
      ++in_flight_;
    }
    response.on_body_end = [this, exchange = std::move(exchange),
                            on_end = std::move(on_end)](const http::BodyOutcome& outcome) mutable {
      exchange.bytes_sent = outcome.bytes_written;
      exchange.end = std::string(http::BodyEndName(outcome.end));
      if (on_end) on_end(exchange, outcome);
      env_->RecordExchange(std::move(exchange));
      std::lock_guard lock(idle_mutex_);
      if (--in_flight_ == 0) idle_.notify_all();
    };
    return response;
  }

  static Status RunHook(const std::function<Status()>& hook) {
    try {
      return hook();
    } catch (const std::exception& e) {
      return MakeError(Errc::kPlugin, std::string("attacker hook threw: ") + e.what());
    } catch (...) {
      return MakeError(Errc::kPlugin, "attacker hook threw");
    }
  }

  std::chrono::milliseconds io_timeout_;
  bool require_client_cert_;
  ServerEnvironment* env_ = nullptr;
  std::unique_ptr<http_poll::HttpCapture> capture_;  // before server_, which calls it
  std::unique_ptr<http::Server> server_;
  std::mutex idle_mutex_;
  std::condition_variable idle_;
  std::uint64_t in_flight_ = 0;  // responses handed to the transport and not yet ended
  // How many requests for each resource came before (RequestInfo::index), since Start.
  std::atomic<std::uint64_t> manifest_requests_{0};
  std::atomic<std::uint64_t> image_requests_{0};
};

}  // namespace

Result<std::unique_ptr<UpdateServerModel>> MakeHttpPoll(const std::map<std::string, std::string>& params) {
  OTASIM_TRY(Params bound, Params::Bind(HttpPoll::Describe().params, params, "server.http-poll"));
  return std::unique_ptr<UpdateServerModel>(std::make_unique<HttpPoll>(bound));
}

}  // namespace otasim::servers

OTASIM_PLUGIN("server.http-poll", "1.0.0") { registrar.Add<otasim::servers::HttpPoll>(); }
