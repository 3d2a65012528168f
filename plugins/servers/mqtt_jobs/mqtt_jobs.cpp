// server.mqtt-jobs: the honest update service of targets/PROTOCOL.md over MQTT(S) — a job
// document on {root}/jobs/notify, the image in chunks on {root}/stream/<file>/<offset>, status
// reports on {root}/status. It runs on the run's shared server connection (env.broker()), so
// its handlers only queue messages; a worker thread of its own answers them, because a publish
// waits for the broker's PUBACK and must not hold up the other sessions' messages.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "job_messages.hpp"
#include "mqtt_capture.hpp"
#include "otasim/crypto.hpp"
#include "otasim/plugin.hpp"
#include "common/status_report.hpp"
#include "common/trickle.hpp"
#include "http_poll/http_poll.hpp"

namespace otasim::servers {
namespace {

using namespace mqtt_jobs;  // NOLINT: this plugin's own helpers

constexpr std::size_t kMaxQueuedMessages = 1024;  // beyond this a flooding device is ignored
constexpr std::string_view kBinSuffix = ".bin";

// One run of consecutive chunk requests, as an attacker sees one HTTP image response: it
// continues while the device asks for exactly the next byte.
struct Transfer {
  const Release* release = nullptr;  // after the attackers (mix-and-match may swap it)
  std::string stream;
  ByteSourcePtr source;
  std::optional<std::uint64_t> source_length;
  std::uint64_t range_start = 0;
  std::uint64_t next_offset = 0;  // image offset of the next byte to publish
  std::uint64_t sent = 0;         // bytes published in this transfer
  std::optional<std::uint64_t> cut_after;
  std::uint64_t trickle_bytes_per_second = 0;  // slow retrieval: small chunks, paced
  std::string end;  // set once the transfer cannot continue: complete, cut, source-error, error

  bool Continues(const ChunkRequest& request) const {
    return end.empty() && request.stream == stream && request.offset == next_offset;
  }
};

class MqttJobs final : public UpdateServerModel {
 public:
  explicit MqttJobs(const Params& params)
      : chunk_size_(params.GetBytes("chunk_size")),
        image_mode_(params.GetString("image_mode")),
        retain_jobs_(params.GetBool("retain_jobs")) {}
  ~MqttJobs() override { Stop(); }

  static TypeInfo Describe() {
    return {.id = "server.mqtt-jobs",
            .version = "1.0.0",
            .summary = "MQTT(S) update service: job document, image in chunks, status topic",
            .params = {{.name = "chunk_size",
                        .type = ParamType::kBytes,
                        .default_value = "32KiB",
                        .help = "largest image chunk per message (256 B .. 256 KiB)"},
                       {.name = "image_mode",
                        .type = ParamType::kEnum,
                        .default_value = "stream",
                        .help = "how the image travels: stream (in chunks over the broker) or "
                                "url (the job carries an HTTPS URL, served like server.http-poll)",
                        .choices = {"stream", "url"}},
                       {.name = "retain_jobs",
                        .type = ParamType::kBool,
                        .default_value = "false",
                        .help = "publish job documents as retained messages"}},
            .threats = {},
            .protocols = {"mqtt"}};
  }

  Result<nlohmann::json> Start(ServerEnvironment& env) override {
    if (started_) return MakeError(Errc::kInvalidArgument, "server.mqtt-jobs: already started");
    if (chunk_size_ < 256 || chunk_size_ > 256 * 1024) {
      return MakeError(Errc::kInvalidArgument, "server.mqtt-jobs: chunk_size " +
                                                   std::to_string(chunk_size_) +
                                                   " is outside 256 B .. 256 KiB");
    }
    const BrokerAccess* access = env.broker();
    if (access == nullptr || access->server == nullptr) {
      return MakeError(Errc::kInvalidArgument,
                       "server.mqtt-jobs: the session has no MQTT broker (protocol " +
                           std::string(env.protocol()) + ")");
    }
    env_ = &env;
    bus_ = access->server;
    root_ = access->topic_root;
    capture_ = std::make_unique<mqtt_jobs::MqttCapture>(env.capture(), access->device_username, access->uri);
    if (image_mode_ == "url") {
      OTASIM_TRY(images_, MakeHttpPoll());
      auto endpoint = images_->Start(env);
      if (!endpoint) return endpoint.error().WithContext("server.mqtt-jobs: image server");
      image_base_url_ = (*endpoint)["base_url"].get<std::string>() + "/images/";
    }
    stopping_ = false;
    worker_ = std::thread([this] { Work(); });
    started_ = true;
    for (const std::string& filter : {root_ + "/request/#", root_ + "/status/#"}) {
      Status subscribed = bus_->Subscribe(filter, [this](const BusMessage& m) { Enqueue(m); });
      if (!subscribed) {
        Stop();
        return subscribed.error().WithContext("server.mqtt-jobs");
      }
      filters_.push_back(filter);
    }
    env.timeline().Add("server", "started",
                       {{"protocol", "mqtt"}, {"broker", access->uri}, {"topic_root", root_}});
    return nlohmann::json{{"broker", access->uri}, {"topic_root", root_}};
  }

  // A marker published to our own request topic comes back behind every message the device
  // published before it exited; once the worker reaches it, the step's records are complete.
  Status WaitIdle(std::chrono::milliseconds timeout) override {
    if (!started_) return {};
    std::uint64_t marker = 0;
    {
      std::lock_guard lock(mutex_);
      marker = ++markers_sent_;
    }
    const std::string payload = std::to_string(marker);
    if (!bus_->Publish(root_ + "/request/sync", payload)) {
      Enqueue({root_ + "/request/sync", payload, false});  // no broker: settle what we have
    }
    if (images_) OTASIM_CHECK(images_->WaitIdle(timeout));
    std::unique_lock lock(mutex_);
    if (!settled_.wait_for(lock, timeout, [&] { return markers_done_ >= marker; })) {
      return MakeError(Errc::kTimeout,
                       "server.mqtt-jobs: still publishing after " +
                           std::to_string(timeout.count()) + " ms (" +
                           std::to_string(queue_.size()) + " request(s) queued)");
    }
    return {};
  }

  void Stop() noexcept override {
    if (!started_) return;
    started_ = false;
    for (const std::string& filter : filters_) (void)bus_->Unsubscribe(filter);
    filters_.clear();
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (worker_.joinable()) worker_.join();
    if (images_) images_->Stop();
    capture_.reset();
    try {
      FinishTransfer("abandoned");
    } catch (...) {  // Stop is noexcept by contract
    }
  }

 private:
  // Runs on the shared connection's dispatch thread: queue and return.
  void Enqueue(const BusMessage& message) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      if (queue_.size() >= kMaxQueuedMessages) {
        ++dropped_;
        if (dropped_ == 1 || dropped_ % 1000 == 0) {
          env_->timeline().Add("server", "request-dropped",
                               {{"topic", message.topic}, {"dropped", dropped_}});
        }
        return;
      }
      queue_.push_back(message);
    }
    wake_.notify_one();
  }

  void Work() {
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait(lock, [this] { return stopping_.load() || !queue_.empty(); });
      if (stopping_) return;
      BusMessage message = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      try {
        Handle(message);
      } catch (const std::exception& e) {
        env_->timeline().Add("server", "error", {{"topic", message.topic}, {"error", e.what()}});
      }
      lock.lock();
    }
  }

  // Every message to the device goes through here, so that the evidence capture sees it.
  Status PublishToDevice(const std::string& topic, std::string_view payload, bool retain = false) {
    capture_->ToDevice(topic, payload, retain);
    return bus_->Publish(topic, payload, retain);
  }

  void Handle(const BusMessage& message) {
    const std::string request = root_ + "/request/";
    if (message.topic != request + "sync") capture_->FromDevice(message.topic, message.payload);
    if (message.topic == request + "job") return ServeJob(message.payload);
    if (message.topic == request + "chunks") return ServeChunks(message.payload);
    if (message.topic == request + "sync") return Settle(message.payload);
    if (message.topic == root_ + "/status" || message.topic.starts_with(root_ + "/status/")) {
      return ReceiveStatus(message.payload);
    }
    Malformed(message.topic, "unknown request topic");
  }

  void ServeJob(const std::string& payload) {
    auto request = ParseJobRequest(payload);
    if (!request) return Malformed("request/job", request.error().message());
    stream_cut_ = false;  // a new update cycle: the network is back

    const Release* published = env_->PublishedRelease();
    ManifestDelivery delivery{published != nullptr ? published->envelope : std::string()};
    RequestInfo info{.protocol = "mqtt", .resource = "manifest", .index = manifest_requests_++};
    if (!RunHooks("manifest", [&](Attacker& a) { return a.OnManifest(*env_, info, delivery); })) {
      return;  // the device gets no job and times out; the step is judged an error anyway
    }

    std::string stream;
    if (!delivery.envelope.empty()) {
      stream = StreamNameOf(delivery.envelope)
                   .value_or(published != nullptr ? published->image_file : std::string());
    }
    const std::string job_id = "j-" + std::to_string(++jobs_published_);
    const std::string job =
        JobDocument(job_id, request->request_id, delivery.envelope, stream, chunk_size_,
                    images_ && !stream.empty() ? image_base_url_ + stream : std::string());
    Status sent = PublishToDevice(root_ + "/jobs/notify", job, retain_jobs_);

    Exchange exchange{.protocol = "mqtt", .kind = "manifest", .method = "PUBLISH",
                      .resource = "jobs/notify"};
    exchange.bytes_sent = sent ? job.size() : 0;
    exchange.end = sent ? "complete" : "error";
    if (published != nullptr) exchange.release = published->name;
    if (!sent) {
      env_->timeline().Add("server", "error", {{"topic", "jobs/notify"}, {"error", sent.error().What()}});
    } else if (delivery.envelope.empty()) {
      env_->timeline().Add("server", "manifest-none",
                           {{"request_index", info.index}, {"job_id", job_id}});
    } else {
      env_->RecordServedManifest(delivery.envelope);
      env_->timeline().Add(
          "server", "manifest-served",
          {{"release", exchange.release},
           {"bytes", delivery.envelope.size()},
           {"sha256", crypto::HexEncode(crypto::Sha256::Of(crypto::AsBytes(delivery.envelope)))},
           {"request_index", info.index},
           {"job_id", job_id},
           {"stream", stream},
           {"retained", retain_jobs_}});
    }
    env_->RecordExchange(std::move(exchange));
  }

  void ServeChunks(const std::string& payload) {
    auto request = ParseChunkRequest(payload);
    if (!request) return Malformed("request/chunks", request.error().message());
    if (stream_cut_) {
      // A cut is a lost connection: nothing more flows in this update cycle, whatever the
      // device asks, until it starts a new cycle with a job request.
      env_->timeline().Add("server", "chunks-ignored",
                           {{"offset", request->offset}, {"reason", "the stream was cut"}});
      return;
    }
    if (!transfer_ || !transfer_->Continues(*request)) {
      FinishTransfer("abandoned");
      if (!BeginTransfer(*request)) return;
    }
    Publish(*transfer_, request->length);
    if (transfer_ && transfer_->end == "cut") stream_cut_ = true;
  }

  static std::uint64_t ImageSize(const Release& release) {
    std::error_code ec;
    const std::uint64_t size = std::filesystem::file_size(release.image_path, ec);
    return ec ? release.manifest.image.size : size;
  }

  // Validates the request, lets the attackers shape the response and opens the transfer.
  bool BeginTransfer(const ChunkRequest& request) {
    const Release* release = FindStream(request.stream);
    if (release == nullptr) {
      Malformed("request/chunks", "unknown stream \"" + request.stream + "\"");
      return false;
    }
    std::error_code ec;
    const std::uint64_t size = std::filesystem::file_size(release->image_path, ec);
    if (ec) {
      env_->timeline().Add("server", "error", {{"stream", request.stream}, {"error", ec.message()}});
      return false;
    }
    if (request.offset >= size) {
      Malformed("request/chunks", "offset " + std::to_string(request.offset) +
                                      " is at or past the end of " + request.stream + " (" +
                                      std::to_string(size) + " bytes)");
      return false;
    }
    auto source = OpenFileSource(release->image_path, request.offset);
    if (!source) {
      env_->timeline().Add("server", "error", {{"stream", request.stream}, {"error", source.error().What()}});
      return false;
    }
    ImageDelivery delivery{.release = release, .offset = request.offset, .source = std::move(*source)};
    RequestInfo info{.protocol = "mqtt",
                     .resource = "image",
                     .index = transfers_++,
                     .range_start = request.offset};
    if (!RunHooks("image", [&](Attacker& a) { return a.OnImage(*env_, info, delivery); })) {
      return false;
    }
    if (ApplyTrickle(delivery)) {
      env_->timeline().Add("server", "image-trickled",
                           {{"stream", request.stream},
                            {"offset", request.offset},
                            {"bytes_per_second", delivery.trickle_bytes_per_second}});
    }
    auto transfer = std::make_unique<Transfer>();
    transfer->release = delivery.release != nullptr ? delivery.release : release;
    transfer->stream = request.stream;
    transfer->source = delivery.source ? std::move(delivery.source) : MemorySource("");
    transfer->source_length = transfer->source->Length();
    transfer->range_start = request.offset;
    transfer->next_offset = request.offset;
    transfer->cut_after = delivery.cut_after;
    transfer->trickle_bytes_per_second = delivery.trickle_bytes_per_second;
    transfer_ = std::move(transfer);
    return true;
  }

  // Publishes up to `length` more bytes of the transfer, chunk by chunk, in order.
  void Publish(Transfer& transfer, std::uint64_t length) {
    std::vector<std::uint8_t> chunk(2 * chunk_size_);
    const std::uint64_t image_size =
        transfer.release != nullptr ? ImageSize(*transfer.release) : std::uint64_t{0};
    while (length > 0 && !stopping_) {
      std::uint64_t want = std::min<std::uint64_t>(chunk_size_, length);
      if (transfer.trickle_bytes_per_second > 0) {
        // A trickle sends small paced chunks and gives way to any request that came meanwhile
        // (the device gave up and reports): the rest of the window is never sent.
        if (RequestWaiting()) return;
        want = std::min(want, TrickleSlice(transfer.trickle_bytes_per_second));
      }
      if (transfer.cut_after) {
        if (transfer.sent >= *transfer.cut_after) {
          transfer.end = "cut";
          return;
        }
        want = std::min(want, *transfer.cut_after - transfer.sent);
      }
      auto filled = Fill(*transfer.source, std::span(chunk.data(), want));
      if (!filled) {
        transfer.end = "source-error";
        env_->timeline().Add("server", "error", {{"stream", transfer.stream}, {"error", filled.error().What()}});
        return;
      }
      // An attacker's source longer than the image (attack.endless-data extra/endless): the
      // chunk that reaches the image's end runs on into up to one chunk of the extra bytes, as
      // a stream that does not stop where the manifest says.
      if (*filled == want && transfer.release != nullptr &&
          transfer.next_offset + *filled == image_size && !transfer.cut_after) {
        auto extra = Fill(*transfer.source, std::span(chunk.data() + *filled, chunk_size_));
        if (extra && *extra > 0) {
          env_->timeline().Add("server", "chunk-overrun",
                               {{"offset", transfer.next_offset}, {"extra_bytes", *extra}});
          *filled += *extra;
        }
      }
      if (*filled == 0) {
        // A short source: an empty chunk at the end offset tells the device the stream ended.
        const std::string end_topic =
            root_ + "/stream/" + transfer.stream + "/" + std::to_string(transfer.next_offset);
        if (Status marked = PublishToDevice(end_topic, std::string_view()); !marked) {
          env_->timeline().Add("server", "error", {{"topic", end_topic}, {"error", marked.error().What()}});
        }
        transfer.end = "complete";
        return;
      }
      const std::string topic =
          root_ + "/stream/" + transfer.stream + "/" + std::to_string(transfer.next_offset);
      Status sent = PublishToDevice(
          topic, std::string_view(reinterpret_cast<const char*>(chunk.data()), *filled));
      if (!sent) {
        transfer.end = "error";
        env_->timeline().Add("server", "error", {{"topic", topic}, {"error", sent.error().What()}});
        return;
      }
      transfer.sent += *filled;
      transfer.next_offset += *filled;
      length -= std::min<std::uint64_t>(length, *filled);
    }
    if (transfer.cut_after && transfer.sent >= *transfer.cut_after) {
      transfer.end = "cut";
    } else if (transfer.source_length && transfer.sent >= *transfer.source_length) {
      transfer.end = "complete";
    }
  }

  bool RequestWaiting() {
    std::lock_guard lock(mutex_);
    return !queue_.empty();
  }

  // Reads until `out` is full or the source ends; returns the bytes read.
  static Result<std::size_t> Fill(ByteSource& source, std::span<std::uint8_t> out) {
    std::size_t filled = 0;
    while (filled < out.size()) {
      OTASIM_TRY(const std::size_t n, source.Read(out.subspan(filled)));
      if (n == 0) break;
      filled += n;
    }
    return filled;
  }

  // Records the current transfer, once: `end` unless it already ended otherwise.
  void FinishTransfer(const std::string& end) {
    if (!transfer_) return;
    std::unique_ptr<Transfer> transfer = std::move(transfer_);
    Exchange exchange{.protocol = "mqtt", .kind = "image", .method = "PUBLISH",
                      .resource = "stream/" + transfer->stream};
    exchange.range_start = transfer->range_start;
    exchange.bytes_sent = transfer->sent;
    exchange.end = transfer->end.empty() ? end : transfer->end;
    if (transfer->release != nullptr) exchange.release = transfer->release->name;
    env_->timeline().Add("server", "image-served",
                         {{"release", exchange.release},
                          {"stream", transfer->stream},
                          {"offset", exchange.range_start},
                          {"bytes", exchange.bytes_sent},
                          {"end", exchange.end}});
    env_->RecordExchange(std::move(exchange));
  }

  void ReceiveStatus(const std::string& payload) {
    Exchange exchange{.protocol = "mqtt", .kind = "status", .method = "PUBLISH",
                      .resource = "status", .end = "complete"};
    auto report = ParseStatusReport(payload);
    if (!report) {
      env_->timeline().Add("server", "status-malformed", {{"error", report.error().message()}});
      exchange.end = "malformed";
      env_->RecordExchange(std::move(exchange));
      return;
    }
    env_->timeline().Add("server", "status-received",
                         {{"result", report->result},
                          {"reason", report->reason},
                          {"version", report->version},
                          {"sequence", report->sequence},
                          {"code", report->code}});
    env_->RecordStatus(std::move(report).value());
    env_->RecordExchange(std::move(exchange));
  }

  // The WaitIdle marker reached the worker: everything before it has been answered.
  void Settle(const std::string& payload) {
    std::uint64_t marker = 0;
    try {
      marker = std::stoull(payload);
    } catch (const std::exception&) {
      return Malformed("request/sync", "not a marker");
    }
    {
      std::lock_guard lock(mutex_);
      if (marker > markers_sent_) return;  // not ours: a device cannot settle the step early
    }
    FinishTransfer("abandoned");
    {
      std::lock_guard lock(mutex_);
      markers_done_ = std::max(markers_done_, marker);
    }
    settled_.notify_all();
  }

  void Malformed(const std::string& what, const std::string& error) {
    env_->timeline().Add("server", "request-malformed", {{"request", what}, {"error", error}});
  }

  const Release* FindStream(const std::string& stream) const {
    if (stream.size() <= kBinSuffix.size() || !stream.ends_with(kBinSuffix)) return nullptr;
    const Release* release = env_->FindRelease(stream.substr(0, stream.size() - kBinSuffix.size()));
    return release != nullptr && release->image_file == stream ? release : nullptr;
  }

  // Runs one hook of every active attacker in order; an attacker that fails (or throws) is a
  // harness error: a timeline entry, and the request is not answered.
  bool RunHooks(const char* hook, const std::function<Status(Attacker&)>& call) {
    std::size_t position = 0;
    for (Attacker* attacker : env_->ActiveAttackers()) {
      Status status;
      try {
        status = call(*attacker);
      } catch (const std::exception& e) {
        status = MakeError(Errc::kPlugin, std::string("attacker hook threw: ") + e.what());
      } catch (...) {
        status = MakeError(Errc::kPlugin, "attacker hook threw");
      }
      if (!status) {
        env_->timeline().Add("attacker", "error",
                             {{"hook", hook}, {"attacker", position}, {"error", status.error().What()}});
        return false;
      }
      ++position;
    }
    return true;
  }

  const std::uint64_t chunk_size_;
  const std::string image_mode_;
  std::unique_ptr<UpdateServerModel> images_;  // image_mode url: the HTTPS image server
  std::string image_base_url_;                 // "https://127.0.0.1:PORT/dev-0001/images/"
  const bool retain_jobs_;

  ServerEnvironment* env_ = nullptr;
  MessageBus* bus_ = nullptr;
  std::unique_ptr<mqtt_jobs::MqttCapture> capture_;  // from Start to Stop
  std::string root_;
  bool started_ = false;
  std::vector<std::string> filters_;
  std::thread worker_;

  std::mutex mutex_;  // guards the queue and the markers
  std::condition_variable wake_;
  std::condition_variable settled_;
  std::deque<BusMessage> queue_;
  std::atomic<bool> stopping_{false};
  std::uint64_t dropped_ = 0;
  std::uint64_t markers_sent_ = 0;
  std::uint64_t markers_done_ = 0;

  // The worker's own state (and Stop's, after the worker has ended).
  std::unique_ptr<Transfer> transfer_;
  bool stream_cut_ = false;  // a transfer was cut: ignore chunk requests until the next job
  std::uint64_t manifest_requests_ = 0;
  std::uint64_t transfers_ = 0;
  std::uint64_t jobs_published_ = 0;
};

}  // namespace
}  // namespace otasim::servers

OTASIM_PLUGIN("server.mqtt-jobs", "1.0.0") { registrar.Add<otasim::servers::MqttJobs>(); }
