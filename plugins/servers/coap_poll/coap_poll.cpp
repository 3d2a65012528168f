// server.coap-poll: the honest update service of targets/PROTOCOL.md over CoAP(S) — GET the
// manifest, GET the image block-wise (Block2), POST a status report answered with an LwM2M
// Update Result. Every manifest and image goes through the step's content attackers first, and
// every request is recorded; an image is recorded once per transfer, not once per block.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "coap_server.hpp"
#include "otasim/crypto.hpp"
#include "otasim/plugin.hpp"
#include "common/status_report.hpp"
#include "common/trickle.hpp"
#include "asked_block.hpp"
#include "coap_capture.hpp"
#include "update_result.hpp"
#include "transfer_reader.hpp"
#include "utf8.hpp"

namespace otasim::servers::coap_poll {
namespace {

constexpr std::string_view kBinSuffix = ".bin";
constexpr std::string_view kImagesPrefix = "images/";
constexpr unsigned kFormatOctets = 42;
constexpr unsigned kFormatJson = 50;

// One image transfer: the block requests that continue one another, served from one delivery
// (attacker hooks ran once, at its first block).
struct Transfer {
  Exchange exchange;  // recorded once, when the transfer ends
  std::uint64_t start = 0;
  std::uint64_t next_offset = 0;  // where the next block continues it
  std::optional<std::uint64_t> size2;
  std::optional<std::uint64_t> cut_after;
  std::unique_ptr<TransferReader> reader;
  // The last block served and the token that asked for it, to answer a retransmission again.
  std::optional<std::uint64_t> last_block_offset;
  std::string last_token;
  // The request left unanswered when the transfer was cut (its retransmissions stay unanswered).
  std::string cut_token;
  bool cut = false;
  bool recorded = false;  // complete or cut: kept only to answer retransmissions
};

class CoapPoll final : public UpdateServerModel {
 public:
  explicit CoapPoll(const Params& params)
      : security_(params.GetString("security")),
        block_size_(params.GetBytes("block_size")),
        require_client_cert_(params.GetBool("require_client_cert")) {
    // Params can only be refused at Start (a constructor has no error value).
    bool power_of_two = (block_size_ & (block_size_ - 1)) == 0;
    if (block_size_ < 16 || block_size_ > 1024 || !power_of_two) {
      config_error_ = MakeError(Errc::kInvalidArgument,
                                "block_size: " + std::to_string(block_size_) +
                                    " is not one of 16, 32, 64, 128, 256, 512, 1024 bytes");
    } else if (require_client_cert_ && security_ != "cert") {
      config_error_ = MakeError(Errc::kInvalidArgument,
                                "require_client_cert: only with security cert, not " + security_);
    }
    while ((std::uint64_t{16} << block_szx_) < block_size_ && block_szx_ < 6) ++block_szx_;
  }
  ~CoapPoll() override { Stop(); }

  static TypeInfo Describe() {
    return {.id = "server.coap-poll",
            .version = "1.0.0",
            .summary = "CoAP(S) polling update service: GET manifest, GET image block-wise, "
                       "POST status (LwM2M update result)",
            .params = {{.name = "security",
                        .type = ParamType::kEnum,
                        .default_value = "cert",
                        .help = "cert: DTLS 1.2 with the session's server certificate; psk: "
                                "DTLS 1.2 with the device's pre-shared key; none: plain CoAP",
                        .choices = {"cert", "psk", "none"}},
                       {.name = "block_size",
                        .type = ParamType::kBytes,
                        .default_value = "1024",
                        .help = "the largest Block2 size served: 16, 32, ... 1024 bytes"},
                       {.name = "require_client_cert",
                        .type = ParamType::kBool,
                        .default_value = "false",
                        .help = "security cert only: refuse devices without a certificate "
                                "from the device CA"}},
            .threats = {},
            .protocols = {"coap"}};
  }

  Result<nlohmann::json> Start(ServerEnvironment& env) override {
    if (server_) return MakeError(Errc::kInvalidArgument, "server.coap-poll: already started");
    if (config_error_) return config_error_->WithContext("server.coap-poll");
    coap::ServerOptions options;
    options.bind_address = env.bind_host();
    options.port = env.bind_port();
    options.block_szx = block_szx_;
    const TlsMaterial& tls = env.tls();
    if (security_ == "cert") {
      if (tls.server_cert.empty() || tls.server_key.empty()) {
        return MakeError(Errc::kInvalidArgument,
                         "server.coap-poll: security cert, but the session has no server "
                         "certificate");
      }
      if (require_client_cert_ && tls.client_ca.empty()) {
        return MakeError(Errc::kInvalidArgument,
                         "server.coap-poll: require_client_cert, but the session has no device CA");
      }
      options.cert = coap::CertServerConfig{.cert_pem = tls.server_cert,
                                            .key_pem = tls.server_key,
                                            .require_client_cert = require_client_cert_,
                                            .client_ca_pem = tls.client_ca};
    } else if (security_ == "psk") {
      if (tls.psk_identity.empty() || tls.psk_key.empty()) {
        return MakeError(Errc::kInvalidArgument,
                         "server.coap-poll: security psk, but the session has no device PSK");
      }
      options.psk = coap::PskServerConfig{{{tls.psk_identity, tls.psk_key}}};
    }
    env_ = &env;
    capture_ = std::make_unique<CoapCapture>(env.capture());
    options.observer = [this](const coap::Request& request, std::string_view request_datagram,
                              std::string_view response_datagram) {
      capture_->Record(request, request_datagram, response_datagram);
    };
    auto server = coap::StartServer(options, [this](const coap::Request& request) {
      return Handle(request);
    });
    if (!server) {
      capture_.reset();
      return server.error().WithContext("server.coap-poll");
    }
    server_ = std::move(server).value();
    std::string base_uri = server_->BaseUri() + "/" + std::string(env.device_id());
    env.timeline().Add("server", "started",
                       {{"protocol", "coap"},
                        {"base_uri", base_uri},
                        {"security", security_},
                        {"block_size", block_size_}});
    return nlohmann::json{
        {"base_uri", base_uri}, {"security", security_}, {"block_size", block_size_}};
  }

  // Requests are answered synchronously on the server thread, so nothing is in flight between
  // them; what may still be open is the current image transfer, which ends here.
  Status WaitIdle(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mutex_, std::defer_lock);
    if (!lock.try_lock_for(timeout)) {
      return MakeError(Errc::kTimeout, "server.coap-poll: a request is still being handled");
    }
    EndTransfer();
    last_manifest_.reset();  // the next step's manifest goes through its own attackers
    return {};
  }

  void Stop() noexcept override {
    if (!server_) return;
    try {
      server_->Stop();
      std::lock_guard lock(mutex_);
      EndTransfer();
    } catch (...) {  // Stop is noexcept by contract; a failing transport must not end the run
    }
    server_.reset();
    capture_.reset();  // after the server: no exchange is being observed any more
  }

 private:
  // Runs on the server thread. Nothing may escape: an unexpected exception becomes a 5.00.
  coap::Response Handle(const coap::Request& request) {
    std::lock_guard lock(mutex_);
    Exchange exchange;
    exchange.protocol = "coap";
    exchange.kind = "other";
    exchange.method = request.method;
    exchange.resource = Printable(request.path);
    exchange.client_identity = Printable(request.identity);
    try {
      if (!IsUtf8(request.path)) {
        return Refuse(std::move(exchange), 400, "the Uri-Path is not UTF-8");
      }
      std::string_view path = request.path;
      std::string prefix = "/" + std::string(env_->device_id()) + "/";
      if (!path.starts_with(prefix)) return Refuse(std::move(exchange), 404, "not found");
      std::string_view resource = path.substr(prefix.size());
      if (resource == "manifest") {
        exchange.kind = "manifest";
        if (request.method != "GET") return NotAllowed(std::move(exchange), "GET");
        return ServeManifest(request, std::move(exchange));
      }
      if (resource == "status") {
        exchange.kind = "status";
        if (request.method != "POST") return NotAllowed(std::move(exchange), "POST");
        return ReceiveStatus(request, std::move(exchange));
      }
      if (resource.starts_with(kImagesPrefix)) {
        exchange.kind = "image";
        const Release* release = FindImage(resource.substr(kImagesPrefix.size()));
        if (release == nullptr) return Refuse(std::move(exchange), 404, "not found");
        if (request.method != "GET") return NotAllowed(std::move(exchange), "GET");
        return ServeImageBlock(request, *release, std::move(exchange));
      }
      return Refuse(std::move(exchange), 404, "not found");
    } catch (const std::exception& e) {
      return ServerError(std::move(exchange), e.what());
    }
  }

  const Release* FindImage(std::string_view file) const {
    if (file.size() <= kBinSuffix.size() || !file.ends_with(kBinSuffix)) return nullptr;
    const Release* release = env_->FindRelease(file.substr(0, file.size() - kBinSuffix.size()));
    if (release == nullptr || release->image_file != file) return nullptr;
    return release;
  }

  // ---- manifest ------------------------------------------------------------------------------

  coap::Response ServeManifest(const coap::Request& request, Exchange exchange) {
    // The device is starting a new update cycle: whatever transfer was open is over.
    EndTransfer();
    auto asked = AskedBlockOf(request, block_szx_);
    if (!asked) return Refuse(std::move(exchange), 402, "Block2 number out of range");
    const Release* published = env_->PublishedRelease();
    if (published != nullptr) exchange.release = published->name;

    // A manifest spanning several blocks goes through the attackers once, at its first block;
    // the later blocks come from the same delivered envelope.
    if (asked->offset == 0 || !last_manifest_) {
      ManifestDelivery delivery{published != nullptr ? published->envelope : std::string()};
      RequestInfo info{.protocol = "coap", .resource = "manifest", .index = manifest_requests_++};
      std::size_t position = 0;
      for (Attacker* attacker : env_->ActiveAttackers()) {
        Status status = RunHook([&] { return attacker->OnManifest(*env_, info, delivery); });
        if (!status) return AttackerFailed(status.error(), "manifest", position, std::move(exchange));
        ++position;
      }
      if (delivery.envelope.empty()) {
        env_->timeline().Add("server", "manifest-none", {{"request_index", info.index}});
      } else {
        env_->RecordServedManifest(delivery.envelope);
        env_->timeline().Add(
            "server", "manifest-served",
            {{"release", exchange.release},
             {"bytes", delivery.envelope.size()},
             {"sha256", crypto::HexEncode(crypto::Sha256::Of(crypto::AsBytes(delivery.envelope)))},
             {"request_index", info.index}});
      }
      last_manifest_ = std::move(delivery.envelope);
    }

    const std::string& envelope = *last_manifest_;
    const bool blockwise = asked->explicit_block || envelope.size() > asked->size;
    std::uint64_t bytes = envelope.size();
    if (blockwise) {
      if (asked->offset > 0 && asked->offset >= envelope.size()) {
        return Refuse(std::move(exchange), 402, "block beyond the end of the manifest");
      }
      bytes = std::min<std::uint64_t>(asked->size, envelope.size() - asked->offset);
    }
    coap::Response response;
    response.code = 205;
    response.content_format = kFormatJson;
    response.payload = envelope;
    exchange.status = response.code;
    exchange.bytes_sent = bytes;
    exchange.end = "complete";
    env_->RecordExchange(std::move(exchange));
    return response;
  }

  // ---- image ---------------------------------------------------------------------------------

  coap::Response ServeImageBlock(const coap::Request& request, const Release& release,
                                 Exchange exchange) {
    auto asked = AskedBlockOf(request, block_szx_);
    if (!asked) {
      EndTransfer();
      return Refuse(std::move(exchange), 402, "Block2 number out of range");
    }
    const std::uint64_t offset = asked->offset;
    Transfer* transfer = current_.get();
    const bool same_resource = transfer != nullptr && transfer->exchange.resource == request.path;
    if (same_resource && transfer->cut && request.token == transfer->cut_token &&
        offset == transfer->next_offset) {
      return coap::Response::Drop();  // a retransmission of the request left unanswered
    }
    const bool retransmission = same_resource && transfer->last_block_offset == offset &&
                                request.token == transfer->last_token;
    const bool continues = same_resource && !transfer->cut && !transfer->recorded &&
                           offset == transfer->next_offset;
    if (retransmission) return ServeBlock(*transfer, offset, asked->size);
    if (!continues) {
      EndTransfer();
      if (auto refused = StartTransfer(release, offset, std::move(exchange))) return *refused;
      transfer = current_.get();
    }
    if (transfer->cut_after && transfer->next_offset - transfer->start >= *transfer->cut_after) {
      // Cut: stop answering, as a dropped connection would. The device's next request starts a
      // new transfer (and the attackers run again).
      transfer->cut = true;
      transfer->cut_token = request.token;
      RecordTransfer(*transfer, "cut");
      return coap::Response::Drop();
    }
    transfer->last_token = request.token;
    return ServeBlock(*transfer, offset, asked->size);
  }

  // Opens the image at `offset`, runs the attackers' OnImage and makes the result the current
  // transfer. If it can't, returns the response that refuses the request (already recorded).
  std::optional<coap::Response> StartTransfer(const Release& release, std::uint64_t offset,
                                              Exchange exchange) {
    exchange.release = release.name;
    exchange.range_start = offset;
    std::error_code ec;
    std::uint64_t size = std::filesystem::file_size(release.image_path, ec);
    if (ec) return ServerError(std::move(exchange), "image unreadable: " + ec.message());
    if (offset > 0 && offset >= size) {
      return Refuse(std::move(exchange), 402, "block beyond the end of the image");
    }
    auto opened = OpenFileSource(release.image_path, offset);
    if (!opened) return ServerError(std::move(exchange), opened.error().What());
    ImageDelivery delivery{.release = &release, .offset = offset, .source = std::move(*opened)};
    RequestInfo info{.protocol = "coap",
                     .resource = "image",
                     .index = image_transfers_++,
                     .range_start = offset};
    std::size_t position = 0;
    for (Attacker* attacker : env_->ActiveAttackers()) {
      Status status = RunHook([&] { return attacker->OnImage(*env_, info, delivery); });
      if (!status) return AttackerFailed(status.error(), "image", position, std::move(exchange));
      ++position;
    }
    if (delivery.release != nullptr) exchange.release = delivery.release->name;
    if (ApplyTrickle(delivery)) {
      // Slow retrieval: each block is answered only when the rate allows (the handler waits).
      env_->timeline().Add("server", "image-trickled",
                           {{"release", exchange.release},
                            {"offset", offset},
                            {"bytes_per_second", delivery.trickle_bytes_per_second}});
    }
    ByteSourcePtr source = delivery.source ? std::move(delivery.source) : MemorySource("");

    auto transfer = std::make_unique<Transfer>();
    // Size2 is what the response claims, like Content-Length over HTTP: the declared length if
    // an attacker set one, nothing for a close-delimited body, else the source's own length.
    if (delivery.declared_length) {
      transfer->size2 = offset + *delivery.declared_length;
    } else if (!delivery.close_delimited) {
      if (auto length = source->Length()) transfer->size2 = offset + *length;
    }
    transfer->exchange = std::move(exchange);
    transfer->start = offset;
    transfer->next_offset = offset;
    transfer->cut_after = delivery.cut_after;
    transfer->reader = std::make_unique<TransferReader>(std::move(source), offset);
    current_ = std::move(transfer);
    return std::nullopt;
  }

  coap::Response ServeBlock(Transfer& transfer, std::uint64_t offset, std::size_t block_size) {
    // One byte beyond the block says whether more follow.
    auto read = transfer.reader->Read(offset, block_size + 1);
    if (!read.ok()) {
      transfer.exchange.status = 500;
      env_->timeline().Add("server", "error",
                           {{"target", transfer.exchange.resource}, {"error", read.error().What()}});
      RecordTransfer(transfer, "source-error");
      current_.reset();
      return coap::Response::Text(500, "image source failed");
    }
    std::string bytes = std::move(read).value();
    if (bytes.empty() && offset > 0) {
      transfer.exchange.status = 402;
      return coap::Response::Text(402, "block beyond the end of the image");
    }
    const bool more = bytes.size() > block_size;
    const std::uint64_t served = std::min<std::uint64_t>(bytes.size(), block_size);
    transfer.last_block_offset = offset;
    transfer.next_offset = std::max(transfer.next_offset, offset + served);
    transfer.exchange.status = 205;
    if (!more) RecordTransfer(transfer, "complete");

    coap::Response response;
    response.code = 205;
    response.content_format = kFormatOctets;
    response.size = transfer.size2;
    // The transport asks for exactly this block (plus one byte): hand it what was read.
    response.blocks = [offset, bytes = std::move(bytes)](
                          std::uint64_t at, std::span<std::uint8_t> out) -> Result<std::size_t> {
      if (at != offset) {
        return MakeError(Errc::kInternal, "block read at " + std::to_string(at) +
                                              ", prepared for " + std::to_string(offset));
      }
      std::size_t count = std::min(out.size(), bytes.size());
      std::copy_n(reinterpret_cast<const std::uint8_t*>(bytes.data()), count, out.data());
      return count;
    };
    return response;
  }

  // Records the transfer once, with the bytes it served (a retransmitted block counts once).
  void RecordTransfer(Transfer& transfer, const char* end) {
    if (transfer.recorded) return;
    transfer.recorded = true;
    transfer.exchange.end = end;
    transfer.exchange.bytes_sent = transfer.next_offset - transfer.start;
    env_->timeline().Add("server", "image-served",
                         {{"release", transfer.exchange.release},
                          {"offset", transfer.start},
                          {"bytes", transfer.exchange.bytes_sent},
                          {"end", end}});
    env_->RecordExchange(transfer.exchange);
  }

  // The current transfer is over; if it ended neither complete nor cut, the device stopped asking.
  void EndTransfer() {
    if (!current_) return;
    RecordTransfer(*current_, "abandoned");
    current_.reset();
  }

  // ---- status --------------------------------------------------------------------------------

  coap::Response ReceiveStatus(const coap::Request& request, Exchange exchange) {
    EndTransfer();  // a device reports when it is done with the image
    auto report = ParseStatusReport(request.payload);
    if (!report) {
      env_->timeline().Add("server", "status-malformed", {{"error", report.error().message()}});
      return Refuse(std::move(exchange), 400, report.error().message());
    }
    int update_result = UpdateResultFor(*report);
    env_->timeline().Add("server", "status-received",
                         {{"result", report->result},
                          {"reason", report->reason},
                          {"version", report->version},
                          {"sequence", report->sequence},
                          {"code", report->code},
                          {"update_result", update_result}});
    env_->RecordStatus(std::move(report).value());
    coap::Response response;
    response.code = 204;
    response.content_format = kFormatJson;
    response.payload = nlohmann::json{{"update_result", update_result}}.dump();
    exchange.status = response.code;
    exchange.bytes_sent = response.payload.size();
    exchange.end = "complete";
    env_->RecordExchange(std::move(exchange));
    return response;
  }

  // ---- refusals ------------------------------------------------------------------------------

  coap::Response Refuse(Exchange exchange, int code, const std::string& diagnostic) {
    if (code == 404) {
      env_->timeline().Add("server", "not-found",
                           {{"method", exchange.method}, {"target", exchange.resource}});
    } else {
      env_->timeline().Add("server", "refused",
                           {{"method", exchange.method},
                            {"target", exchange.resource},
                            {"code", coap::CodeName(code)},
                            {"why", diagnostic}});
    }
    coap::Response response = coap::Response::Text(code, diagnostic);
    exchange.status = code;
    exchange.bytes_sent = response.payload.size();
    exchange.end = "complete";
    env_->RecordExchange(std::move(exchange));
    return response;
  }

  coap::Response NotAllowed(Exchange exchange, const char* allowed) {
    std::string why = exchange.method + " not allowed here, only " + allowed;
    return Refuse(std::move(exchange), 405, why);
  }

  coap::Response ServerError(Exchange exchange, const std::string& message) {
    env_->timeline().Add("server", "error", {{"target", exchange.resource}, {"error", message}});
    exchange.status = 500;
    exchange.end = "complete";
    env_->RecordExchange(std::move(exchange));
    return coap::Response::Text(500, "internal error");
  }

  // An attacker that can't do its job is a harness error, not something the device did.
  coap::Response AttackerFailed(const Error& error, const char* hook, std::size_t position,
                                Exchange exchange) {
    env_->timeline().Add("attacker", "error",
                         {{"hook", hook}, {"attacker", position}, {"error", error.What()}});
    exchange.status = 500;
    exchange.end = "complete";
    env_->RecordExchange(std::move(exchange));
    return coap::Response::Text(500, "attacker error");
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

  const std::string security_;
  const std::uint64_t block_size_;
  const bool require_client_cert_;
  unsigned block_szx_ = 0;
  std::optional<Error> config_error_;
  ServerEnvironment* env_ = nullptr;
  std::unique_ptr<CoapCapture> capture_;  // before server_, which calls it
  std::unique_ptr<coap::Server> server_;

  // Everything below is shared by the server thread (Handle) and WaitIdle/Stop.
  std::timed_mutex mutex_;
  std::unique_ptr<Transfer> current_;
  std::optional<std::string> last_manifest_;  // the envelope last delivered, for later blocks
  // How many manifest requests and image transfers came before (RequestInfo::index).
  std::uint64_t manifest_requests_ = 0;
  std::uint64_t image_transfers_ = 0;
};

}  // namespace
}  // namespace otasim::servers::coap_poll

OTASIM_PLUGIN("server.coap-poll", "1.0.0") {
  registrar.Add<otasim::servers::coap_poll::CoapPoll>();
}
