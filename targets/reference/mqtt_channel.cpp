#include "mqtt_channel.hpp"

#include <nlohmann/json.hpp>
#include <random>

#include "client.hpp"
#include "http_channel.hpp"
#include "http_client.hpp"
#include "log.hpp"
#include "mqtt_inbox.hpp"
#include "mqtt_job.hpp"
#include "otasim/files.hpp"
#include "otasim/manifest.hpp"

namespace otasim::device {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kChunksPerWindow = 16;
// Queued message bytes (Paho's thread -> the cycle); beyond this a flood is dropped. Holds two
// windows of the largest chunk the device accepts.
constexpr std::size_t kInboxBytes = 2 * kChunksPerWindow * kMaxChunkBytes;
// A job document is an envelope (at most manifest::kMaxEnvelopeBytes) and a few small fields.
constexpr std::size_t kMaxJobBytes = manifest::kMaxEnvelopeBytes + 4096;
// How often a wait looks whether the broker connection is still up.
constexpr std::chrono::milliseconds kPollSlice{200};

std::string RandomHex() {
  std::random_device random;
  std::uniform_int_distribution<unsigned> nibble(0, 15);
  std::string out;
  for (int i = 0; i < 16; ++i) out += "0123456789abcdef"[nibble(random)];
  return out;
}

// mqtts://host:port -> ssl://host:port; mqtt://host:port -> tcp://host:port (Paho's schemes).
std::string PahoUri(const std::string& broker) {
  const bool tls = broker.rfind("mqtts://", 0) == 0;
  std::string rest = broker.substr(tls ? 8 : 7);
  if (const auto slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  return (tls ? "ssl://" : "tcp://") + rest;
}

// "{root}/stream/{name}/{offset}" -> offset, for this stream only.
std::optional<std::uint64_t> ChunkOffset(const std::string& topic, const std::string& prefix) {
  if (topic.size() <= prefix.size() || topic.compare(0, prefix.size(), prefix) != 0) {
    return std::nullopt;
  }
  const std::string digits = topic.substr(prefix.size());
  if (digits.size() > 19 || digits.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoull(digits);
}

class MqttChannel final : public UpdateChannel {
 public:
  MqttChannel(std::string device_id, MqttEndpoint endpoint, mqtt::ClientOptions options,
              http::ClientOptions http, std::chrono::milliseconds timeout)
      : device_id_(std::move(device_id)),
        endpoint_(std::move(endpoint)),
        options_(std::move(options)),
        http_(std::move(http)),
        timeout_(timeout),
        jobs_(endpoint_.topic_root + "/jobs/"),
        stream_(endpoint_.topic_root + "/stream/") {}

  std::string Describe() const override {
    return "job request on " + endpoint_.topic_root + "/request/job via " + endpoint_.broker;
  }

  Offer FetchManifest() override {
    Offer offer;
    if (auto failure = Connect()) {
      offer.failure = std::move(failure);
      return offer;
    }
    const std::string request_id = RandomHex();
    const nlohmann::json request = {{"device_id", device_id_}, {"request_id", request_id}};
    const std::string request_topic = endpoint_.topic_root + "/request/job";
    if (auto sent = client_->Publish(request_topic, request.dump()); !sent) {
      offer.failure = StepFailure{"network", sent.error().message()};
      return offer;
    }
    Log("mqtt: asked for a job on " + request_topic + " (request_id " + request_id + ")");

    // The first job document after subscribing is the one acted on, retained ones included.
    const auto deadline = Clock::now() + timeout_;
    for (;;) {
      auto message = Next(deadline);
      if (!message) {
        offer.failure = StepFailure{
            client_->connected() ? "timeout" : "network",
            client_->connected() ? "no job document within " + std::to_string(timeout_.count()) +
                                       " ms"
                                 : "the broker connection was lost while waiting for a job"};
        return offer;
      }
      if (message->topic.rfind(jobs_, 0) != 0) continue;  // a stray chunk: not a job
      return TakeJob(*message, request_id);
    }
  }

  Result<std::string> ResolveImage(const std::string& uri) override {
    if (!job_image_) return MakeError(Errc::kParse, "job document: no image");
    if (job_image_->mode == JobImage::Mode::kUrl) {
      auto url = http::ParseUrl(job_image_->url);
      if (!url) return MakeError(Errc::kParse, "job image.url: " + url.error().message());
      return url->ToString();
    }
    Log("mqtt: image.uri " + uri + " comes as stream " + job_image_->stream + " in chunks of " +
        std::to_string(job_image_->chunk_size) + " bytes");
    return "stream " + job_image_->stream;
  }

  std::uint64_t ResumeUnit() const override { return 1; }

  Transfer FetchImage(const ImageRequest& request, ImageSink& sink) override {
    if (!job_image_) return {TransferEnd::kNetwork, "no image in the job document"};
    if (job_image_->mode == JobImage::Mode::kUrl) {
      return FetchHttpImage(request.location, http_, request, sink);
    }
    return FetchStream(request, sink);
  }

  Result<std::string> SendStatus(const std::string& report_json) override {
    if (!client_ || !client_->connected()) {
      return MakeError(Errc::kNetwork, "no broker connection to publish the status on");
    }
    const std::string topic = endpoint_.topic_root + "/status";
    OTASIM_CHECK(client_->Publish(topic, report_json));
    return "published to " + topic;
  }

 private:
  // Connects (one client per process: Paho's later clients are slow) and subscribes to the
  // jobs and stream topics, their messages queued in the inbox.
  std::optional<StepFailure> Connect() {
    auto client = mqtt::Client::Connect(options_);
    if (!client) {
      const Error& error = client.error();
      // The transport appends "(TLS: ...)" when the handshake or the certificate failed.
      const bool tls = error.message().find("(TLS:") != std::string::npos;
      return StepFailure{error.code() == Errc::kTimeout ? "timeout" : tls ? "tls" : "network",
                         error.message()};
    }
    client_ = std::move(*client);
    Log("mqtt: connected to " + endpoint_.broker + " as " + options_.client_id);
    for (const std::string& filter : {jobs_ + "#", stream_ + "#"}) {
      auto subscribed =
          client_->Subscribe(filter, [this](const mqtt::Message& m) { inbox_.Push(m); }, 1);
      if (!subscribed) return StepFailure{"network", subscribed.error().message()};
    }
    return std::nullopt;
  }

  std::optional<mqtt::Message> Next(Clock::time_point deadline) {
    for (;;) {
      const auto now = Clock::now();
      if (now >= deadline) return std::nullopt;
      if (auto message = inbox_.Pop(std::min(deadline, now + kPollSlice))) return message;
      if (!client_->connected()) return std::nullopt;
    }
  }

  Offer TakeJob(const mqtt::Message& message, const std::string& request_id) {
    Offer offer;
    if (message.payload.size() > kMaxJobBytes) {
      offer.failure = StepFailure{"size", "job document on " + message.topic + " over " +
                                              std::to_string(kMaxJobBytes) + " bytes"};
      return offer;
    }
    auto job = ParseJobDocument(message.payload);
    if (!job) {
      offer.failure = StepFailure{"format", job.error().message() + " (on " + message.topic + ")"};
      return offer;
    }
    Log("mqtt: job '" + job->job_id + "' on " + message.topic +
        (message.retained ? " (retained)" : "") +
        (job->request_id == request_id ? "" : " answering request_id '" + job->request_id +
                                                  "', not ours (authenticated by its manifest only)"));
    if (job->envelope && job->envelope->size() > manifest::kMaxEnvelopeBytes) {
      offer.failure = StepFailure{"size", "manifest envelope over " +
                                              std::to_string(manifest::kMaxEnvelopeBytes) +
                                              " bytes"};
      return offer;
    }
    offer.envelope = std::move(job->envelope);
    job_image_ = std::move(job->image);
    return offer;
  }

  // Stream mode: windows of 16 chunks, in order, from request.offset.
  Transfer FetchStream(const ImageRequest& request, ImageSink& sink) {
    const JobImage& image = *job_image_;
    const std::string prefix = stream_ + image.stream + "/";
    const std::uint64_t window = kChunksPerWindow * image.chunk_size;
    std::uint64_t next = request.offset;  // the first byte not stored yet
    bool began = false;  // the sink hears of the transfer with its first storable chunk
    Log("download: stream " + image.stream + " from byte " + std::to_string(next) + ", " +
        std::to_string(kChunksPerWindow) + " chunks of " + std::to_string(image.chunk_size) +
        " bytes per request");
    for (;;) {
      if (request.enforce_size && next >= request.size) {
        if (!began && !sink.Begin({next, std::nullopt, std::nullopt})) return {};
        return {TransferEnd::kComplete, {}};
      }
      // FLAW no-size-check (enforce_size false): windows are not capped at image.size.
      const std::uint64_t end =
          request.enforce_size ? std::min(next + window, request.size) : next + window;
      if (auto asked = AskChunks(image.stream, next, end - next); !asked) {
        return {TransferEnd::kNetwork, asked.error().message()};
      }
      bool asked_again = false;
      auto deadline = Clock::now() + timeout_;
      while (next < end) {
        auto message = Next(deadline);
        if (!message) {
          if (!request.enforce_size && next >= request.size) {
            // FLAW no-size-check: the server stopped sending, so the image ends here.
            if (!began && !sink.Begin({next, std::nullopt, std::nullopt})) return {};
            return {TransferEnd::kComplete, {}};
          }
          const bool lost = !client_->connected();
          const std::string why = lost ? "the broker connection was lost"
                                       : "no chunk within " + std::to_string(timeout_.count()) +
                                             " ms";
          if (next > 0) return {TransferEnd::kInterrupted, why};
          return {lost ? TransferEnd::kNetwork : TransferEnd::kTimeout, why};
        }
        const auto offset = ChunkOffset(message->topic, prefix);
        if (!offset) continue;        // not a chunk of this stream
        if (*offset < next) continue;  // already stored: a duplicate
        if (*offset == next && message->payload.empty()) {
          // An empty chunk where the next byte belongs: the server has no more bytes.
          if (!began && !sink.Begin({next, std::nullopt, std::nullopt})) return {};
          return {TransferEnd::kComplete, "the stream ended (empty chunk) at byte " +
                                              std::to_string(next)};
        }
        if (*offset > next) {
          // A gap: something was lost. Ask once per window from the first missing byte.
          if (!asked_again) {
            asked_again = true;
            Log("download: chunk at byte " + std::to_string(*offset) + " while byte " +
                std::to_string(next) + " is missing; asking again from there");
            if (auto asked = AskChunks(image.stream, next, end - next); !asked) {
              return {TransferEnd::kNetwork, asked.error().message()};
            }
            deadline = Clock::now() + timeout_;
          }
          continue;
        }
        // A refusal by the sink is the sink's to explain: what is returned then is not read.
        if (!began && !sink.Begin({next, std::nullopt, std::nullopt})) return {};
        began = true;
        const auto* data = reinterpret_cast<const std::uint8_t*>(message->payload.data());
        if (!sink.Write(data, message->payload.size())) return {};
        next += message->payload.size();
        deadline = Clock::now() + timeout_;
      }
      if (const auto dropped = inbox_.dropped(); dropped > 0) {
        Log("mqtt: " + std::to_string(dropped) + " messages dropped so far (inbox over " +
            std::to_string(kInboxBytes) + " bytes)");
      }
    }
  }

  Status AskChunks(const std::string& stream, std::uint64_t offset, std::uint64_t length) {
    const nlohmann::json ask = {{"stream", stream}, {"offset", offset}, {"length", length}};
    return client_->Publish(endpoint_.topic_root + "/request/chunks", ask.dump());
  }

  std::string device_id_;
  MqttEndpoint endpoint_;
  mqtt::ClientOptions options_;
  http::ClientOptions http_;
  std::chrono::milliseconds timeout_;
  const std::string jobs_;    // "{root}/jobs/"
  const std::string stream_;  // "{root}/stream/"
  MqttInbox inbox_{kInboxBytes};
  // Declared after the inbox: destroyed (disconnected) first, so its handler never outlives it.
  std::unique_ptr<mqtt::Client> client_;
  std::optional<JobImage> job_image_;
};

}  // namespace

Result<std::unique_ptr<UpdateChannel>> MakeMqttChannel(const DeviceConfig& config) {
  const MqttEndpoint& endpoint = config.mqtt;
  mqtt::ClientOptions options;
  options.uri = PahoUri(endpoint.broker);
  options.client_id = endpoint.client_id;
  options.username = endpoint.username;
  options.timeout = config.limits.timeout;
  options.verify_host = true;
  if (endpoint.password_file) {
    auto text = ReadFile(*endpoint.password_file, 4096);
    if (!text) return text.error().WithContext("endpoints.mqtt.password_file");
    options.password = text->substr(0, text->find_first_of("\r\n"));
  }
  if (endpoint.broker.rfind("mqtts://", 0) == 0) {
    if (!config.tls.ca_file) {
      return MakeError(Errc::kInvalidArgument, "tls.ca_file: missing (broker " + endpoint.broker +
                                                   " is mqtts)");
    }
    options.ca_file = *config.tls.ca_file;
    if (config.tls.client_cert) {
      options.cert_file = *config.tls.client_cert;
      options.key_file = *config.tls.client_key;
    }
  }
  // url mode downloads over HTTP(S) with the same TLS material.
  OTASIM_TRY(auto http, MakeHttpClientOptions(config));
  return std::unique_ptr<UpdateChannel>(std::make_unique<MqttChannel>(
      config.device_id, endpoint, std::move(options), std::move(http), config.limits.timeout));
}

}  // namespace otasim::device
