#include "coap_channel.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>

#include "coap_client.hpp"
#include "coap_uri.hpp"
#include "log.hpp"
#include "otasim/crypto.hpp"
#include "otasim/files.hpp"
#include "otasim/manifest.hpp"

namespace otasim::device {
namespace {

constexpr unsigned kContentFormatJson = 50;
// The whole CoAP session (every exchange of one check) ends by this many exchange deadlines,
// but never sooner than kMinSessionDeadline: a large image is many exchanges.
constexpr int kSessionDeadlineFactor = 10;
constexpr std::chrono::milliseconds kMinSessionDeadline{60000};

unsigned SzxOf(unsigned block_size) {
  unsigned szx = 0;
  while ((16u << szx) < block_size && szx < 6) ++szx;
  return szx;
}

// The contract's reason for a transport error. `some_bytes`: image bytes are on storage, so a
// silence is an interruption, not a timeout.
TransferEnd EndOf(const Error& error, bool some_bytes) {
  switch (error.code()) {
    case Errc::kCrypto: return TransferEnd::kTls;
    case Errc::kTimeout: return some_bytes ? TransferEnd::kInterrupted : TransferEnd::kTimeout;
    case Errc::kNetwork: return some_bytes ? TransferEnd::kInterrupted : TransferEnd::kNetwork;
    default: return TransferEnd::kNetwork;
  }
}

std::string ReasonOf(TransferEnd end) {
  switch (end) {
    case TransferEnd::kTls: return "tls";
    case TransferEnd::kTimeout: return "timeout";
    case TransferEnd::kInterrupted: return "interrupted";
    case TransferEnd::kSize: return "size";
    default: return "network";
  }
}

class CoapChannel final : public UpdateChannel {
 public:
  CoapChannel(CoapUri base, coap::ClientOptions options, unsigned block_size,
              bool plaintext_fallback)
      : base_(std::move(base)),
        options_(std::move(options)),
        block_size_(block_size),
        plaintext_fallback_(plaintext_fallback) {
    manifest_uri_ = base_;
    manifest_uri_.path = (base_.path == "/" ? "" : base_.path) + "/manifest";
    status_uri_ = manifest_uri_;
    status_uri_.path = (base_.path == "/" ? "" : base_.path) + "/status";
  }

  std::string Describe() const override { return "GET " + manifest_uri_.ToString(); }

  Offer FetchManifest() override {
    Offer offer;
    std::string envelope;
    bool too_big = false;
    coap::BlockwiseRequest request;
    request.path = manifest_uri_.path;
    request.query = manifest_uri_.query;
    request.szx = SzxOf(block_size_);
    auto result = Exchange(manifest_uri_, [&](coap::Client& client) {
      return client.GetBlockwise(
          request, [&](std::uint64_t, const std::uint8_t* data, std::size_t size) {
            if (envelope.size() + size > manifest::kMaxEnvelopeBytes) {
              too_big = true;  // refused unparsed, and not read further
              return false;
            }
            envelope.append(reinterpret_cast<const char*>(data), size);
            return true;
          });
    });
    if (!result) {
      Broken(result.error());
      const TransferEnd end = EndOf(result.error(), !envelope.empty());
      offer.failure = StepFailure{ReasonOf(end), "manifest: " + result.error().message()};
    } else if (too_big) {
      offer.failure = StepFailure{"size", "manifest envelope over " +
                                              std::to_string(manifest::kMaxEnvelopeBytes) +
                                              " bytes"};
    } else if (result->code != 205) {
      offer.failure = StepFailure{"network", "CoAP " + coap::CodeName(result->code) +
                                                 " for the manifest" + Diagnostic(*result)};
    } else if (!result->complete) {
      offer.failure = StepFailure{"interrupted", "manifest: the block-wise transfer stopped"};
    } else if (!envelope.empty()) {
      offer.envelope = std::move(envelope);
    }
    return offer;
  }

  Result<std::string> ResolveImage(const std::string& uri) override {
    auto resolved = ResolveCoapUri(manifest_uri_, uri);
    if (!resolved) return resolved.error().WithContext("image.uri");
    return resolved->ToString();
  }

  std::uint64_t ResumeUnit() const override { return block_size_; }

  Transfer FetchImage(const ImageRequest& image, ImageSink& sink) override {
    auto uri = ParseCoapUri(image.location);
    if (!uri) return {TransferEnd::kNetwork, uri.error().message()};

    coap::BlockwiseRequest request;
    request.path = uri->path;
    request.query = uri->query;
    request.szx = SzxOf(block_size_);
    request.start_block = static_cast<std::uint32_t>(image.offset / block_size_);
    Log("download: GET " + image.location + " from block " + std::to_string(request.start_block) +
        " (block size " + std::to_string(block_size_) + ")");

    // One block per call, so that each block's Size2 is judged before the block is stored.
    std::vector<std::uint8_t> block;
    std::uint64_t block_offset = 0;
    std::uint64_t delivered = 0;
    std::optional<std::optional<std::uint64_t>> first_size2;  // set once the head was given
    for (;;) {
      block.clear();
      auto result = Exchange(*uri, [&](coap::Client& client) {
        return client.GetBlockwise(
            request, [&](std::uint64_t offset, const std::uint8_t* data, std::size_t size) {
              block.assign(data, data + size);
              block_offset = offset;
              return false;  // one block at a time
            });
      });
      if (!result) {
        Broken(result.error());
        return {EndOf(result.error(), image.offset + delivered > 0),
                "block " + std::to_string(request.start_block) + ": " + result.error().message()};
      }
      if (!coap::IsSuccess(result->code)) {
        return {TransferEnd::kNetwork, "CoAP " + coap::CodeName(result->code) + " for block " +
                                           std::to_string(request.start_block) +
                                           Diagnostic(*result)};
      }
      if (result->blocks == 0) {
        return {TransferEnd::kNetwork, "no block in the answer for block " +
                                           std::to_string(request.start_block)};
      }
      if (!first_size2) {
        first_size2 = result->size2;
        // A refusal by the sink is the sink's to explain: what is returned then is not read.
        if (!sink.Begin({block_offset, std::nullopt, result->size2})) return {};
      } else if (image.enforce_size && result->size2 && result->size2 != *first_size2) {
        return {TransferEnd::kSize, "Size2 " + std::to_string(*result->size2) + " at block " +
                                        std::to_string(request.start_block) +
                                        " differs from the first block's; refused before "
                                        "storing the block"};
      }
      if (!sink.Write(block.data(), block.size())) return {};
      delivered += block.size();
      if (result->complete) return {TransferEnd::kComplete, {}};
      // The server may use smaller blocks than asked: continue in its size.
      request.start_block = result->next_block;
      request.szx = result->szx;
    }
  }

  Result<std::string> SendStatus(const std::string& report_json) override {
    auto response = Exchange(status_uri_, [&](coap::Client& client) {
      return client.Post(status_uri_.path, report_json, kContentFormatJson, status_uri_.query);
    });
    if (!response) {
      Broken(response.error());
      return response.error().WithContext("POST " + status_uri_.ToString());
    }
    std::string answer = "POST " + status_uri_.ToString() + " answered " +
                         coap::CodeName(response->code);
    if (!coap::IsSuccess(response->code)) return MakeError(Errc::kProtocol, answer);
    // The LwM2M Update Result the server mapped the report to, for the log.
    const auto body = nlohmann::json::parse(response->payload, nullptr, false);
    if (body.is_object() && body.contains("update_result") &&
        body["update_result"].is_number_integer()) {
      answer += ", update_result " + std::to_string(body["update_result"].get<int>());
    }
    return answer;
  }

 private:
  static std::string Diagnostic(const coap::BlockwiseResult& result) {
    if (result.error_payload.empty()) return "";
    return ": " + result.error_payload.substr(0, 200);
  }

  // A session that timed out may hold later requests behind the unanswered one (libcoap,
  // NSTART 1): the next exchange gets a fresh session.
  void Broken(const Error& error) {
    if (error.code() != Errc::kCrypto) client_.reset();
  }

  // One exchange on the session to `uri`'s endpoint. The DTLS handshake of a new session
  // happens within its first exchange, so this is where a failed handshake is seen.
  template <typename Call>
  auto Exchange(const CoapUri& uri, Call call) -> decltype(call(std::declval<coap::Client&>())) {
    OTASIM_TRY(coap::Client * client, Session(uri));
    const bool handshake = uri.secure && !Downgraded(uri) && !session_answered_;
    auto result = call(*client);
    if (result) {
      session_answered_ = true;
      return result;
    }
    // Flaw: after a failed handshake (refused, or never answered) the same host and port are
    // tried without DTLS, and the channel stays in plaintext there.
    if (plaintext_fallback_ && handshake &&
        (result.error().code() == Errc::kCrypto || result.error().code() == Errc::kTimeout)) {
      Log("DTLS handshake with " + uri.host + ":" + std::to_string(uri.port) + " failed (" +
          result.error().message() + "): retrying without DTLS (flaw plaintext-fallback)");
      client_.reset();
      downgraded_ = uri;
      auto plain = Session(uri);
      if (plain) {
        auto retry = call(**plain);
        if (retry) {
          session_answered_ = true;
          return retry;
        }
      }
      downgraded_.reset();  // the plaintext retry failed too: the DTLS failure is the outcome
      client_.reset();
    }
    return result;
  }

  bool Downgraded(const CoapUri& uri) const {
    return downgraded_ && downgraded_->host == uri.host && downgraded_->port == uri.port;
  }

  // The session to `uri`'s endpoint, reused while it is the same one.
  Result<coap::Client*> Session(const CoapUri& requested) {
    CoapUri uri = requested;
    if (Downgraded(uri)) uri.secure = false;  // flaw plaintext-fallback took DTLS away
    if (client_ && client_endpoint_.SameEndpoint(uri)) return client_.get();
    client_.reset();
    session_answered_ = false;
    coap::ClientOptions options = options_;
    if (!uri.secure) {
      options.psk.reset();
      options.cert.reset();
    } else if (!options.psk && !options.cert) {
      return MakeError(Errc::kInvalidArgument,
                       uri.ToString() + ": coaps without DTLS credentials (security none)");
    }
    OTASIM_TRY(client_, coap::Connect(uri.host, uri.port, options));
    client_endpoint_ = uri;
    return client_.get();
  }

  CoapUri base_, manifest_uri_, status_uri_;
  coap::ClientOptions options_;
  unsigned block_size_;
  bool plaintext_fallback_;
  std::optional<CoapUri> downgraded_;  // flaw plaintext-fallback: DTLS given up at this endpoint
  bool session_answered_ = false;      // the current session has completed an exchange
  std::unique_ptr<coap::Client> client_;
  CoapUri client_endpoint_;
};

}  // namespace

Result<std::unique_ptr<UpdateChannel>> MakeCoapChannel(const DeviceConfig& config,
                                                       const Flaws& flaws) {
  const CoapEndpoint& endpoint = config.coap;
  auto base = ParseCoapUri(endpoint.base_uri);
  if (!base) return base.error().WithContext("endpoints.coap.base_uri");

  coap::ClientOptions options;
  options.exchange_timeout = config.limits.timeout;
  options.session_timeout =
      std::max(config.limits.timeout * kSessionDeadlineFactor, kMinSessionDeadline);
  if (endpoint.security == CoapSecurity::kPsk) {
    auto text = ReadFile(endpoint.psk_file, 4096);
    if (!text) return text.error().WithContext("endpoints.coap.psk_file");
    std::string hex = *text;
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' ')) {
      hex.pop_back();
    }
    auto key = crypto::HexDecode(hex);
    if (!key || key->empty()) {
      return MakeError(Errc::kInvalidArgument,
                       "endpoints.coap.psk_file: " + endpoint.psk_file.string() +
                           " does not hold a hex key on one line");
    }
    options.psk = coap::PskClientConfig{endpoint.psk_identity,
                                        std::string(key->begin(), key->end())};
  } else if (endpoint.security == CoapSecurity::kCert) {
    if (!config.tls.ca_file) {
      return MakeError(Errc::kInvalidArgument, "tls.ca_file: missing (endpoints.coap.security cert)");
    }
    coap::CertClientConfig cert;
    auto ca = ReadFile(*config.tls.ca_file, 1 << 20);
    if (!ca) return ca.error().WithContext("tls.ca_file");
    cert.ca_pem = std::move(*ca);
    if (config.tls.client_cert) {
      auto pem = ReadFile(*config.tls.client_cert, 1 << 20);
      if (!pem) return pem.error().WithContext("tls.client_cert");
      auto key = ReadFile(*config.tls.client_key, 1 << 20);
      if (!key) return key.error().WithContext("tls.client_key");
      cert.client_cert_pem = std::move(*pem);
      cert.client_key_pem = std::move(*key);
    }
    cert.verify_peer = !flaws.trust_any_server_cert;  // flaw: no chain check
    cert.verify_host = !flaws.no_hostname_check;      // flaw: any name will do
    options.cert = std::move(cert);
  }
  return std::unique_ptr<UpdateChannel>(
      std::make_unique<CoapChannel>(std::move(*base), std::move(options), endpoint.block_size,
                                    flaws.plaintext_fallback));
}

}  // namespace otasim::device
