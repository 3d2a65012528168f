// server.hawkbit-ddi: the part of Eclipse hawkBit's Direct Device Integration API that a polling
// client such as SWUpdate's suricatta uses — the base poll, the deployment description (this
// protocol's manifest), the artifact download with Range, the feedback (the device's status
// report) and configData. The artifact is the step's release rendered by the device's release
// format (one signed file, e.g. a .swu), through the step's content attackers.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "artifact_spool.hpp"
#include "ddi_messages.hpp"
#include "ddi_route.hpp"

#include "common/artifact_delivery.hpp"
#include "common/trickle.hpp"
#include "http_poll/http_capture.hpp"
#include "http_poll/route.hpp"
#include "http_server.hpp"
#include "otasim/plugin.hpp"

namespace otasim::servers {
namespace {

using hawkbit_ddi::DdiResource;

// The body of a close-delimited response: without a length the transport sends none.
class UnsizedSource final : public ByteSource {
 public:
  explicit UnsizedSource(ByteSourcePtr inner) : inner_(std::move(inner)) {}
  Result<std::size_t> Read(std::span<std::uint8_t> out) override { return inner_->Read(out); }
  std::optional<std::uint64_t> Length() const override { return std::nullopt; }

 private:
  ByteSourcePtr inner_;
};

// "HOST:PORT" as a URL authority: an IPv6 literal in brackets.
std::string HostPort(const std::string& host, std::uint16_t port) {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// The first delivery of an action, read when its description was built (artifact_spool.hpp).
struct PreparedArtifact {
  ArtifactResponse delivery;  // body moved into `spool`
  hawkbit_ddi::SpooledArtifact spool;
  bool replayed = false;  // the first download has taken it; later ones are delivered afresh
};

// One deployment offered to the device: the release published in a step. A new step or a new
// release makes a new action, as a new assignment does in hawkBit.
struct Action {
  std::uint64_t id = 0;
  const Release* release = nullptr;
  std::uint64_t epoch = 0;
  bool closed = false;  // a final feedback arrived: no longer offered
  std::vector<std::string> details;  // of every feedback so far (the reason of a failure)
  std::optional<PreparedArtifact> artifact;
};

// Everything of a delivery but its body (ArtifactResponse is move-only because of the body).
ArtifactResponse WithoutBody(const ArtifactResponse& from) {
  ArtifactResponse copy;
  copy.release = from.release;
  copy.envelope = from.envelope;
  copy.file_name = from.file_name;
  copy.content_type = from.content_type;
  copy.file_length = from.file_length;
  copy.offset = from.offset;
  copy.head_size = from.head_size;
  copy.image_size = from.image_size;
  copy.image_offset = from.image_offset;
  copy.declared_length = from.declared_length;
  copy.close_delimited = from.close_delimited;
  copy.cut_after = from.cut_after;
  copy.trickle_bytes_per_second = from.trickle_bytes_per_second;
  copy.redirect_url = from.redirect_url;
  return copy;
}

class HawkbitDdi final : public UpdateServerModel {
 public:
  explicit HawkbitDdi(const Params& params)
      : io_timeout_(params.GetDuration("io_timeout")),
        tls_(params.GetBool("tls")),
        require_client_cert_(params.GetBool("require_client_cert")),
        poll_seconds_(static_cast<std::uint64_t>(std::max<std::int64_t>(params.GetInt("poll_seconds"), 1))),
        tenant_(params.GetString("tenant")),
        request_config_data_(params.GetBool("request_config_data")) {}
  ~HawkbitDdi() override { Stop(); }

  static TypeInfo Describe() {
    return {.id = "server.hawkbit-ddi",
            .version = "1.0.0",
            .summary = "Eclipse hawkBit DDI subset (poll, deploymentBase, artifact, feedback) "
                       "for daemon clients such as SWUpdate suricatta",
            .params = {{.name = "io_timeout",
                        .type = ParamType::kDuration,
                        .default_value = "10s",
                        .help = "deadline of every read and write on a connection"},
                       {.name = "tls",
                        .type = ParamType::kBool,
                        .default_value = "true",
                        .help = "serve HTTPS when the session has TLS material"},
                       {.name = "require_client_cert",
                        .type = ParamType::kBool,
                        .default_value = "false",
                        .help = "refuse TLS clients without a certificate from the device CA"},
                       {.name = "poll_seconds",
                        .type = ParamType::kInt,
                        .default_value = "1",
                        .help = "polling interval announced in config.polling.sleep (at least 1)"},
                       {.name = "tenant",
                        .type = ParamType::kString,
                        .default_value = "default",
                        .help = "the hawkBit tenant in every path"},
                       {.name = "request_config_data",
                        .type = ParamType::kBool,
                        .default_value = "false",
                        .help = "link configData in the base poll, asking for the device's "
                                "attributes"}},
            .threats = {},
            .protocols = {"http"}};
  }

  Result<nlohmann::json> Start(ServerEnvironment& env) override {
    if (server_) return MakeError(Errc::kInvalidArgument, "server.hawkbit-ddi: already started");
    env_ = &env;
    controller_id_ = std::string(env.device_id());
    http::ServerOptions options;
    options.bind_address = env.bind_host();
    options.port = env.bind_port();
    options.io_timeout = io_timeout_;
    if (env.UseTls() && tls_) {
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
    if (!server) return server.error().WithContext("server.hawkbit-ddi");
    server_ = std::move(server).value();
    server_url_ = server_->BaseUrl();
    controller_url_ = server_url_ + "/" + tenant_ + "/controller/v1/" + controller_id_;
    // base_url: what on-path attackers rewrite to stand in front of the server.
    nlohmann::json endpoint = {{"server_url", server_url_},
                               {"base_url", server_url_},
                               {"host_port", HostPort(options.bind_address, server_->port())},
                               {"tenant", tenant_},
                               {"controller_id", controller_id_},
                               {"poll_seconds", poll_seconds_}};
    env.timeline().Add("server", "started", {{"protocol", "http"}, {"api", "hawkbit-ddi"},
                                             {"controller_url", controller_url_}});
    return endpoint;
  }

  // Also the step boundary: the session calls it after every step, so the next poll offers the
  // next step's release as a new action and the attackers' request indexes start again.
  Status WaitIdle(std::chrono::milliseconds timeout) override {
    {
      std::lock_guard lock(state_mutex_);
      ++epoch_;
      artifact_requests_ = 0;
    }
    std::unique_lock lock(idle_mutex_);
    if (!idle_.wait_for(lock, timeout, [this] { return in_flight_ == 0; })) {
      return MakeError(Errc::kTimeout, "server.hawkbit-ddi: " + std::to_string(in_flight_) +
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
      hawkbit_ddi::DdiRoute route =
          hawkbit_ddi::DdiRouteOf(request.method, request.target, tenant_, controller_id_);
      std::lock_guard lock(state_mutex_);
      switch (route.resource) {
        case DdiResource::kBase:
          return ServeBase(ControllerUrlFor(request), std::move(exchange));
        case DdiResource::kDeploymentBase:
          exchange.kind = "manifest";
          return ServeDeployment(route.action_id, ControllerUrlFor(request), std::move(exchange));
        case DdiResource::kArtifact:
          if (request.method == "GET") exchange.kind = "image";
          return ServeArtifact(request, route, std::move(exchange));
        case DdiResource::kFeedback:
          exchange.kind = "status";
          return ReceiveFeedback(request, route.action_id, std::move(exchange));
        case DdiResource::kConfigData:
          return ReceiveConfigData(request, std::move(exchange));
        case DdiResource::kOther:
          break;
      }
      return NotFound(std::move(exchange));
    } catch (const std::exception& e) {
      env_->timeline().Add("server", "error", {{"target", request.target}, {"error", e.what()}});
      return Finish(std::move(exchange), http::Response::Text(500, "internal error\n"));
    }
  }

  // Nothing published, but attackers are active (a downgrade, a freeze, a replay serve a
  // release of their choosing): the action offers what they deliver, decided once per step.
  Action* AttackerAction() {
    if (env_->ActiveAttackers().empty()) return nullptr;
    if (current_ != 0 && actions_[current_].epoch == epoch_) {
      Action& action = actions_[current_];
      return action.closed || action.release == nullptr ? nullptr : &action;
    }
    current_ = next_action_id_++;
    Action& action = actions_[current_] = Action{.id = current_, .release = nullptr, .epoch = epoch_};
    if (Status prepared = PrepareArtifact(action); !prepared || !action.artifact) {
      env_->timeline().Add("server", "no-action",
                           {{"reason", prepared ? "the attackers served nothing"
                                                : prepared.error().message()}});
      return nullptr;
    }
    action.release = action.artifact->delivery.release;
    env_->timeline().Add("server", "action-created",
                         {{"action_id", current_}, {"release", action.release->name},
                          {"by", "attackers"}});
    return &action;
  }

  // The action to offer now, making a new one when the step or the published release changed;
  // nullopt when there is nothing (or nothing this format can carry) to offer.
  Action* OfferedAction() {
    const Release* published = env_->PublishedRelease();
    if (published == nullptr) return AttackerAction();
    ReleaseFormat* format = env_->release_format();
    if (format == nullptr || !format->SingleFile()) {
      if (unavailable_noted_epoch_ != epoch_) {
        unavailable_noted_epoch_ = epoch_;
        env_->timeline().Add(
            "server", "deployment-unavailable",
            {{"release", published->name},
             {"reason", format == nullptr ? "the device's release format is the native manifest "
                                            "+ image pair; hawkBit DDI offers single files only"
                                          : "the device's release format is not a single file"}});
      }
      return nullptr;
    }
    if (current_ == 0 || actions_[current_].epoch != epoch_ ||
        actions_[current_].release != published) {
      current_ = next_action_id_++;
      actions_[current_] = Action{.id = current_, .release = published, .epoch = epoch_};
      env_->timeline().Add("server", "action-created",
                           {{"action_id", current_}, {"release", published->name}});
    }
    Action& action = actions_[current_];
    return action.closed ? nullptr : &action;
  }

  // Links name the host the device asked for (its Host header), as hawkBit behind a proxy
  // does: a device pointed at an on-path proxy keeps talking to it. A Host header that is not
  // a plain host[:port] is ignored.
  std::string ControllerUrlFor(const http::Request& request) const {
    auto host = request.Header("host");
    const bool plain = host && !host->empty() && host->size() <= 255 &&
                       std::all_of(host->begin(), host->end(), [](char c) {
                         return std::isalnum(static_cast<unsigned char>(c)) || c == '.' ||
                                c == ':' || c == '-' || c == '[' || c == ']';
                       });
    if (!plain) return controller_url_;
    const std::string scheme = server_url_.substr(0, server_url_.find("://"));
    return scheme + "://" + *host + "/" + tenant_ + "/controller/v1/" + controller_id_;
  }

  http::Response ServeBase(const std::string& controller_url, Exchange exchange) {
    Action* action = OfferedAction();
    std::optional<std::uint64_t> offered;
    if (action != nullptr) {
      offered = action->id;
      exchange.release = action->release->name;
    }
    env_->timeline().Add("server", "poll", {{"action_id", offered ? nlohmann::json(*offered)
                                                                  : nlohmann::json(nullptr)}});
    nlohmann::json body = hawkbit_ddi::BasePollJson(controller_url, poll_seconds_, offered,
                                                    request_config_data_);
    return Finish(std::move(exchange), http::Response::Text(200, body.dump(), "application/json"));
  }

  // Delivers the artifact once, through the attackers, and keeps it for the first download:
  // the description's hashes are those of the bytes that download will carry.
  Status PrepareArtifact(Action& action) {
    if (action.artifact) return {};
    OTASIM_TRY(std::optional<ArtifactResponse> delivered,
               DeliverArtifact(*env_, {.protocol = "http", .index = artifact_requests_++}));
    if (!delivered) return MakeError(Errc::kNotFound, "nothing to deliver for this action");
    const std::filesystem::path path =
        env_->work_dir() / ("hawkbit-action-" + std::to_string(action.id) + ".spool");
    ByteSourcePtr body = delivered->body ? std::move(delivered->body) : MemorySource("");
    OTASIM_TRY(hawkbit_ddi::SpooledArtifact spool,
               hawkbit_ddi::SpoolArtifact(std::move(body), delivered->file_length, path));
    env_->timeline().Add("server", "artifact-hashed",
                         {{"action_id", action.id},
                          {"file", delivered->file_name},
                          {"bytes", spool.spooled},
                          {"file_length", delivered->file_length},
                          {"sha1", spool.sha1}});
    action.artifact = PreparedArtifact{.delivery = std::move(delivered).value(),
                                       .spool = std::move(spool)};
    return {};
  }

  http::Response ServeDeployment(std::uint64_t action_id, const std::string& controller_url,
                                 Exchange exchange) {
    auto it = actions_.find(action_id);
    if (it == actions_.end()) return NotFound(std::move(exchange));
    Action& action = it->second;
    exchange.release = action.release->name;
    if (Status prepared = PrepareArtifact(action); !prepared) {
      return DeliveryFailed(prepared.error(), std::move(exchange));
    }
    const ArtifactResponse& delivery = action.artifact->delivery;
    const hawkbit_ddi::SpooledArtifact& spool = action.artifact->spool;
    hawkbit_ddi::DeploymentDescription description{
        .action_id = action.id,
        .chunk_name = delivery.release->name,
        .chunk_version = delivery.release->manifest.version,
        .artifact = {.file_name = delivery.file_name,
                     .size = delivery.file_length,
                     .sha1 = spool.sha1,
                     .md5 = spool.md5,
                     .sha256 = spool.sha256,
                     .url = controller_url + "/softwaremodules/" + std::to_string(action.id) +
                            "/artifacts/" + delivery.file_name},
        .tls = server_url_.starts_with("https:")};
    env_->timeline().Add("server", "deployment-served",
                         {{"action_id", action.id},
                          {"release", delivery.release->name},
                          {"file", delivery.file_name},
                          {"closed", action.closed}});
    return Finish(std::move(exchange),
                  http::Response::Text(200, hawkbit_ddi::DeploymentJson(description).dump(),
                                       "application/json"));
  }

  http::Response ServeArtifact(const http::Request& request, const hawkbit_ddi::DdiRoute& route,
                               Exchange exchange) {
    auto it = actions_.find(route.module_id);
    if (it == actions_.end()) return NotFound(std::move(exchange));
    Action& action = it->second;
    exchange.release = action.release->name;
    if (Status prepared = PrepareArtifact(action); !prepared) {
      return DeliveryFailed(prepared.error(), std::move(exchange));
    }
    PreparedArtifact& prepared = *action.artifact;
    if (route.file_name != prepared.delivery.file_name) return NotFound(std::move(exchange));
    const std::uint64_t file_length = prepared.delivery.file_length;

    if (request.method == "HEAD") {
      // No delivery: a HEAD runs no attacker hook and does not count as an image request.
      http::Response response;
      response.headers["content-type"] = prepared.delivery.content_type;
      response.headers["accept-ranges"] = "bytes";
      response.stream = MemorySource("");
      response.declared_length = file_length;
      return Finish(std::move(exchange), std::move(response));
    }

    std::optional<std::uint64_t> range;
    if (auto header = request.Header("range")) range = http_poll::ParseOpenRange(*header);
    const std::uint64_t offset = range.value_or(0);
    if (range && offset >= file_length) {
      http::Response response = http::Response::Text(416, "");
      response.headers["content-range"] = "bytes */" + std::to_string(file_length);
      return Finish(std::move(exchange), std::move(response));
    }

    ArtifactResponse delivery;
    if (!prepared.replayed && offset == 0) {
      prepared.replayed = true;
      auto body = hawkbit_ddi::ReplaySpool(prepared.spool, 0);
      if (!body) return ServerError(body.error().What(), std::move(exchange));
      delivery = WithoutBody(prepared.delivery);
      delivery.body = std::move(body).value();
    } else {
      auto delivered = DeliverArtifact(
          *env_, {.protocol = "http", .index = artifact_requests_++, .range_start = offset});
      if (!delivered) return DeliveryFailed(delivered.error(), std::move(exchange));
      if (!*delivered) return NotFound(std::move(exchange));  // the step changed meanwhile
      delivery = std::move(**delivered);
    }
    if (delivery.release != nullptr) exchange.release = delivery.release->name;
    exchange.range_start = delivery.image_offset;
    if (!delivery.redirect_url.empty()) {
      env_->timeline().Add("server", "image-redirected",
                           {{"release", exchange.release}, {"location", delivery.redirect_url}});
      http::Response response = http::Response::Text(302, "");
      response.headers["location"] = delivery.redirect_url;
      return Finish(std::move(exchange), std::move(response));
    }

    http::Response response;
    response.status = range ? 206 : 200;
    response.headers["content-type"] = delivery.content_type;
    response.headers["accept-ranges"] = "bytes";
    if (range) {
      response.headers["content-range"] = "bytes " + std::to_string(offset) + "-" +
                                          std::to_string(file_length - 1) + "/" +
                                          std::to_string(file_length);
    }
    ByteSourcePtr body = delivery.body ? std::move(delivery.body) : MemorySource("");
    const std::uint64_t rate = delivery.trickle_bytes_per_second;
    if (rate > 0) body = PacedSource(std::move(body), rate);
    if (delivery.close_delimited) {
      response.stream = std::make_unique<UnsizedSource>(std::move(body));
    } else {
      response.stream = std::move(body);
      response.declared_length = delivery.declared_length;
    }
    response.cut_after = delivery.cut_after;

    ServerEnvironment* env = env_;
    return Finish(std::move(exchange), std::move(response),
                  [env, extent = std::make_shared<const ArtifactResponse>(WithoutBody(delivery)), rate](Exchange& done,
                                                         const http::BodyOutcome& outcome) {
                    // For the checks an image request's bytes are image bytes (plus any past the
                    // file's end), as on the native protocols.
                    done.bytes_sent = ImageBytesSent(*extent, outcome.bytes_written);
                    nlohmann::json details = {{"release", done.release},
                                              {"offset", extent->offset},
                                              {"file_bytes", outcome.bytes_written},
                                              {"image_bytes", done.bytes_sent},
                                              {"end", done.end}};
                    if (rate > 0) details["trickle_bytes_per_second"] = rate;
                    if (!outcome.detail.empty()) details["detail"] = outcome.detail;
                    env->timeline().Add("server", "image-served", std::move(details));
                  });
  }

  http::Response ReceiveFeedback(const http::Request& request, std::uint64_t action_id,
                                 Exchange exchange) {
    auto it = actions_.find(action_id);
    if (it == actions_.end()) return NotFound(std::move(exchange));
    Action& action = it->second;
    exchange.release = action.release->name;
    auto feedback = hawkbit_ddi::ParseFeedback(request.body);
    if (!feedback) {
      env_->timeline().Add("server", "feedback-malformed",
                           {{"action_id", action_id}, {"error", feedback.error().message()}});
      return Finish(std::move(exchange),
                    http::Response::Text(400, feedback.error().message() + "\n"));
    }
    env_->timeline().Add("server", "feedback-received",
                         {{"action_id", action_id},
                          {"execution", feedback->execution},
                          {"finished", feedback->finished},
                          {"final", feedback->Final()},
                          {"details", feedback->details}});
    if (feedback->Final()) {
      StatusReport report = hawkbit_ddi::ReportOf(*feedback, action.details);
      if (report.result == "installed") {
        report.version = action.release->manifest.version;
        report.sequence = action.release->manifest.sequence;
      }
      env_->timeline().Add("server", "status-received",
                           {{"action_id", action_id},
                            {"result", report.result},
                            {"reason", report.reason},
                            {"version", report.version}});
      if (!action.closed) {
        action.closed = true;
        env_->timeline().Add("server", "action-closed", {{"action_id", action_id}});
      }
      env_->RecordStatus(std::move(report));
    }
    action.details.insert(action.details.end(), feedback->details.begin(), feedback->details.end());
    return Finish(std::move(exchange), http::Response::Text(200, "", "application/json"));
  }

  http::Response ReceiveConfigData(const http::Request& request, Exchange exchange) {
    auto json = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded() || !json.is_object()) {
      env_->timeline().Add("server", "config-data-malformed",
                           {{"error", "configData is not a JSON object"}});
      return Finish(std::move(exchange), http::Response::Text(400, "not a JSON object\n"));
    }
    env_->timeline().Add("server", "config-data",
                         {{"data", json.contains("data") ? json["data"] : nlohmann::json()}});
    return Finish(std::move(exchange), http::Response::Text(200, "", "application/json"));
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

  // DeliverArtifact names the failing attacker hook; anything else is the format's or ours.
  // Either way a harness error, not something the device did.
  http::Response DeliveryFailed(const Error& error, Exchange exchange) {
    const bool attacker = error.code() == Errc::kPlugin ||
                          error.What().find("attacker #") != std::string::npos;
    env_->timeline().Add(attacker ? "attacker" : "server", "error",
                         {{"target", exchange.resource}, {"error", error.What()}});
    return Finish(std::move(exchange),
                  http::Response::Text(500, attacker ? "attacker error\n" : "internal error\n"));
  }

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

  const std::chrono::milliseconds io_timeout_;
  const bool tls_;
  const bool require_client_cert_;
  const std::uint64_t poll_seconds_;
  const std::string tenant_;
  const bool request_config_data_;
  ServerEnvironment* env_ = nullptr;
  std::string controller_id_;
  std::string server_url_;      // "https://127.0.0.1:PORT"
  std::string controller_url_;  // server_url_ + "/{tenant}/controller/v1/{controller}"
  std::unique_ptr<http_poll::HttpCapture> capture_;  // before server_, which calls it
  std::unique_ptr<http::Server> server_;

  // The deployments, under state_mutex_ (requests run on the server thread, WaitIdle not).
  std::mutex state_mutex_;
  std::uint64_t epoch_ = 0;  // steps seen (WaitIdle calls)
  std::uint64_t unavailable_noted_epoch_ = UINT64_MAX;
  std::map<std::uint64_t, Action> actions_;
  std::uint64_t current_ = 0;  // 0: none yet
  std::uint64_t next_action_id_ = 1;
  std::uint64_t artifact_requests_ = 0;  // deliveries this step (RequestInfo::index)

  std::mutex idle_mutex_;
  std::condition_variable idle_;
  std::uint64_t in_flight_ = 0;  // responses handed to the transport and not yet ended
};

}  // namespace
}  // namespace otasim::servers

OTASIM_PLUGIN("server.hawkbit-ddi", "1.0.0") { registrar.Add<otasim::servers::HawkbitDdi>(); }
