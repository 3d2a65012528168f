#include "mqtt_channel.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdlib>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

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

// Paho reports a failed TLS handshake and a refused TCP connection alike ("TCP/TLS connect
// failure"), and its host name check says nothing at all. Whether the broker's port accepts a
// TCP connection tells them apart: if it does, TLS is what failed.
bool TcpReachable(const std::string& paho_uri, std::chrono::milliseconds timeout) {
  const auto scheme = paho_uri.find("://");
  const auto colon = paho_uri.rfind(':');
  if (scheme == std::string::npos || colon == std::string::npos || colon < scheme + 3) return false;
  const std::string host = paho_uri.substr(scheme + 3, colon - scheme - 3);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(std::atoi(paho_uri.c_str() + colon + 1)));
  if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) return false;  // IPv4 literals only
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return false;
  bool reachable = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  if (!reachable && errno == EINPROGRESS) {
    pollfd waiting{fd, POLLOUT, 0};
    int error = 0;
    socklen_t length = sizeof error;
    reachable = ::poll(&waiting, 1, static_cast<int>(timeout.count())) == 1 &&
                ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0;
  }
  ::close(fd);
  return reachable;
}

class MqttChannel final : public UpdateChannel {
 public:
  MqttChannel(std::string device_id, MqttEndpoint endpoint, mqtt::ClientOptions options,
              http::ClientOptions http, std::chrono::milliseconds timeout, const Flaws& flaws)
      : flaws_(flaws),
        device_id_(std::move(device_id)),
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
    if (!client && flaws_.plaintext_fallback && options_.uri.rfind("ssl://", 0) == 0) {
      // Flaw: the TLS handshake failed, so try the same broker port without TLS.
      mqtt::ClientOptions plain = options_;
      plain.uri = "tcp://" + options_.uri.substr(6);
      Log("mqtt: TLS failed (" + client.error().message() + "); retrying in plaintext: " + plain.uri);
      auto retry = mqtt::Client::Connect(plain);
      // A plaintext retry that fails as well leaves the TLS failure as the outcome.
      if (retry) client = std::move(retry);
      else Log("mqtt: the plaintext retry failed too: " + retry.error().message());
    }
    if (!client) {
      const Error& error = client.error();
      // The transport appends "(TLS: ...)" when the handshake or the certificate failed.
      const bool tls = error.message().find("(TLS:") != std::string::npos ||
                       (options_.uri.rfind("ssl://", 0) == 0 &&
                        error.message().find("TCP/TLS connect failure") != std::string::npos &&
                        TcpReachable(options_.uri, options_.timeout));
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
    // The stall deadline; without it (the no-timeout flaw) a chunk is waited for all day.
    const std::chrono::milliseconds stall =
        request.stall_deadline ? timeout_ : std::chrono::milliseconds(std::chrono::hours(24));
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
      auto deadline = Clock::now() + stall;
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
            deadline = Clock::now() + stall;
          }
          continue;
        }
        // A refusal by the sink is the sink's to explain: what is returned then is not read.
        if (!began && !sink.Begin({next, std::nullopt, std::nullopt})) return {};
        began = true;
        const auto* data = reinterpret_cast<const std::uint8_t*>(message->payload.data());
        if (!sink.Write(data, message->payload.size())) return {};
        next += message->payload.size();
        deadline = Clock::now() + stall;
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

  const Flaws flaws_;
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

Result<std::unique_ptr<UpdateChannel>> MakeMqttChannel(const DeviceConfig& config,
                                                       const Flaws& flaws) {
  const MqttEndpoint& endpoint = config.mqtt;
  mqtt::ClientOptions options;
  options.uri = PahoUri(endpoint.broker);
  options.client_id = endpoint.client_id;
  options.username = endpoint.username;
  options.timeout = config.limits.timeout;
  // The broker's certificate must chain to the provisioned CA and name the host; each flaw
  // skips one of the two checks.
  options.verify_peer = !flaws.trust_any_server_cert;
  options.verify_host = !flaws.no_hostname_check && !flaws.trust_any_server_cert;
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
  OTASIM_TRY(auto http, MakeHttpClientOptions(config, flaws));
  return std::unique_ptr<UpdateChannel>(std::make_unique<MqttChannel>(
      config.device_id, endpoint, std::move(options), std::move(http), config.limits.timeout,
      flaws));
}

}  // namespace otasim::device
