#include "http_channel.hpp"

#include <chrono>
#include <optional>

#include "file_io.hpp"
#include "http_client.hpp"
#include "log.hpp"
#include "otasim/files.hpp"
#include "otasim/manifest.hpp"

namespace otasim::device {
namespace {

std::string FailureReason(const Error& error) {
  switch (error.code()) {
    case Errc::kTimeout: return "timeout";
    case Errc::kCrypto: return "tls";
    default: return "network";
  }
}

// "bytes N-M/T" -> N
std::optional<std::uint64_t> RangeStart(const std::string& content_range) {
  const std::string prefix = "bytes ";
  if (content_range.rfind(prefix, 0) != 0) return std::nullopt;
  const auto dash = content_range.find('-', prefix.size());
  if (dash == std::string::npos || dash == prefix.size()) return std::nullopt;
  const std::string digits = content_range.substr(prefix.size(), dash - prefix.size());
  if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 19) {
    return std::nullopt;
  }
  return std::stoull(digits);
}

constexpr const char* kHttps = "https://";
constexpr const char* kHttp = "http://";

bool StartsWith(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

bool IsRedirect(int status);  // defined with the image download's redirects, below

class HttpChannel final : public UpdateChannel {
 public:
  HttpChannel(std::string base_url, http::ClientOptions options, const Flaws& flaws)
      : base_url_(std::move(base_url)), options_(std::move(options)), flaws_(flaws) {}

  std::string Describe() const override { return "GET " + ManifestUrl(); }

  Offer FetchManifest() override {
    Offer offer = FetchManifestOnce();
    if (offer.failure && offer.failure->reason == "tls" && StartsWith(base_url_, kHttps) &&
        !redirected_) {
      if (flaws_.plaintext_fallback) {
        // Flaw: the TLS handshake failed, so try the same server without TLS.
        base_url_ = kHttp + base_url_.substr(std::string(kHttps).size());
        Log("http: TLS failed (" + offer.failure->detail + "); retrying in plaintext: " + base_url_);
        Offer plain = FetchManifestOnce();
        // A plaintext retry that fails as well leaves the TLS failure as the outcome.
        if (!plain.failure) return plain;
        Log("http: the plaintext retry failed too: " + plain.failure->detail);
      }
    }
    return offer;
  }

  Offer FetchManifestOnce() {
    std::string envelope_text;
    bool too_big = false;
    http::ClientRequest request;
    request.url = ManifestUrl();
    auto response =
        http::Fetch(request, options_, [&](const std::uint8_t* data, std::size_t size) {
          if (envelope_text.size() + size > manifest::kMaxEnvelopeBytes) {
            too_big = true;  // refused unparsed, and not read further
            return false;
          }
          envelope_text.append(reinterpret_cast<const char*>(data), size);
          return true;
        });
    Offer offer;
    if (!response) {
      offer.failure = StepFailure{FailureReason(response.error()), response.error().message()};
    } else if (response->status == 204) {
      // nothing offered
    } else if (IsRedirect(response->status) && !redirected_) {
      return FollowRedirect(response->Header("location").value_or(""));
    } else if (response->status != 200) {
      offer.failure = StepFailure{
          "network", "HTTP status " + std::to_string(response->status) + " for the manifest"};
    } else if (too_big) {
      offer.failure = StepFailure{"size", "manifest envelope over " +
                                              std::to_string(manifest::kMaxEnvelopeBytes) +
                                              " bytes"};
    } else if (!response->body_complete) {
      offer.failure = StepFailure{"interrupted", "manifest: " + response->body_end_detail};
    } else {
      offer.envelope = std::move(envelope_text);
    }
    return offer;
  }

  Result<std::string> ResolveImage(const std::string& uri) override {
    auto base = http::ParseUrl(ManifestUrl());
    if (!base) return base.error().WithContext("base_url");
    auto image_url = http::ResolveUrl(*base, uri);
    if (!image_url) return MakeError(Errc::kParse, "image.uri: " + image_url.error().message());
    return image_url->ToString();
  }

  std::uint64_t ResumeUnit() const override { return 1; }

  Transfer FetchImage(const ImageRequest& request, ImageSink& sink) override {
    return FetchHttpImage(request.location, options_, request, sink);
  }

  Result<std::string> SendStatus(const std::string& report_json) override {
    http::ClientRequest request;
    request.method = "POST";
    request.url = base_url_ + "/status";
    request.headers["Content-Type"] = "application/json";
    request.body = report_json;
    OTASIM_TRY(auto response, http::Fetch(request, options_));
    const std::string answer = "POST " + request.url + " answered " + std::to_string(response.status);
    if (response.status / 100 != 2) return MakeError(Errc::kProtocol, answer);
    return answer;
  }

 private:
  std::string ManifestUrl() const { return base_url_ + "/manifest"; }

  // One redirect of the manifest request is followed — never from https to plaintext, unless
  // the plaintext-fallback flaw lets it. The server's root moves with the manifest's URL.
  Offer FetchManifestRedirected(const std::string& location) {
    Offer offer;
    const std::string suffix = "/manifest";
    if (!StartsWith(location, kHttps) && !StartsWith(location, kHttp)) {
      offer.failure = StepFailure{"network", "manifest redirected to '" + location + "'"};
      return offer;
    }
    if (StartsWith(base_url_, kHttps) && StartsWith(location, kHttp)) {
      if (!flaws_.plaintext_fallback) {
        offer.failure = StepFailure{"tls", "refused a redirect from https to plaintext: " + location};
        return offer;
      }
      Log("http: following a redirect to plaintext: " + location);  // the flaw
    }
    if (location.size() <= suffix.size() ||
        location.compare(location.size() - suffix.size(), suffix.size(), suffix) != 0) {
      offer.failure = StepFailure{"network", "manifest redirected to '" + location +
                                                 "', which names no manifest"};
      return offer;
    }
    base_url_ = location.substr(0, location.size() - suffix.size());
    return FetchManifestOnce();
  }

  Offer FollowRedirect(const std::string& location) {
    redirected_ = true;
    Log("http: manifest redirected to " + location);
    return FetchManifestRedirected(location);
  }

  std::string base_url_;
  http::ClientOptions options_;
  const Flaws flaws_;
  bool redirected_ = false;
};

}  // namespace

Result<http::ClientOptions> MakeHttpClientOptions(const DeviceConfig& config, const Flaws& flaws) {
  http::ClientOptions options;
  options.timeout = config.limits.timeout;
  if (flaws.trust_any_server_cert) options.verify_peer = false;  // flaw: no chain check
  if (flaws.no_hostname_check) options.verify_host = false;      // flaw: any name will do
  if (config.tls.ca_file) {
    auto ca = ReadFile(*config.tls.ca_file, 1 << 20);
    if (!ca) return ca.error().WithContext("tls.ca_file");
    options.ca_pem = std::move(*ca);
  }
  if (config.tls.client_cert) {
    auto cert = ReadFile(*config.tls.client_cert, 1 << 20);
    if (!cert) return cert.error().WithContext("tls.client_cert");
    auto key = ReadFile(*config.tls.client_key, 1 << 20);
    if (!key) return key.error().WithContext("tls.client_key");
    options.client_cert_pem = std::move(*cert);
    options.client_key_pem = std::move(*key);
  }
  return options;
}

namespace {

// An image request may be redirected a few times (a mirror, a CDN), never from https to http,
// and whatever the location, the bytes are verified against the manifest like any others.
constexpr int kMaxRedirects = 3;
// Without a stall deadline (the no-timeout flaw) a read waits this long: for ever, in practice.
constexpr std::chrono::hours kNoStallDeadline{24};

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

Result<std::string> RedirectTarget(const std::string& from, const std::string& location) {
  if (location.empty()) return MakeError(Errc::kProtocol, "redirect without a Location");
  OTASIM_TRY(auto base, http::ParseUrl(from));
  auto next = http::ResolveUrl(base, location);
  if (!next) return next.error().WithContext("redirect Location '" + location + "'");
  if (base.scheme == "https" && next->scheme != "https") {
    return MakeError(Errc::kProtocol,
                     "redirect from https to " + next->ToString() + " refused (not https)");
  }
  return next->ToString();
}

// One GET of the image; a redirect answer is not read but handed back in `redirect`.
Transfer FetchHttpImageOnce(const std::string& url, const http::ClientOptions& options,
                            const ImageRequest& image, ImageSink& sink,
                            std::optional<std::string>& redirect) {
  http::ClientRequest request;
  request.url = url;
  if (image.offset > 0) request.headers["Range"] = "bytes=" + std::to_string(image.offset) + "-";
  Log("download: GET " + url +
      (image.offset > 0 ? " Range: bytes=" + std::to_string(image.offset) + "-" : ""));

  std::optional<Transfer> refused;  // this channel's own refusal of the response header
  std::uint64_t delivered = 0;
  auto response = http::Fetch(
      request, options,
      [&](const std::uint8_t* data, std::size_t size) {
        if (!sink.Write(data, size)) return false;
        delivered += size;
        return true;
      },
      [&](const http::ClientResponse& head) {
        if (IsRedirect(head.status)) {
          redirect = head.Header("location").value_or("");
          return false;
        }
        if (image.offset > 0 && head.status == 200) {
          // The server ignored our Range: this body starts at byte 0 (the sink decides).
          return sink.Begin({0, head.content_length, std::nullopt});
        }
        const int expected = image.offset > 0 ? 206 : 200;
        if (head.status != expected) {
          refused = Transfer{TransferEnd::kNetwork,
                             "HTTP status " + std::to_string(head.status) + " for the image"};
          return false;
        }
        if (head.status == 206) {
          const auto range = head.Header("content-range");
          if (!range || RangeStart(*range) != image.offset) {
            refused = Transfer{TransferEnd::kNetwork,
                               "206 with Content-Range '" + range.value_or("") +
                                   "', expected start " + std::to_string(image.offset)};
            return false;
          }
        }
        return sink.Begin({image.offset, head.content_length, std::nullopt});
      });
  if (refused) return *refused;
  if (redirect && response) return {};
  if (!response) {
    const Error& error = response.error();
    TransferEnd end = TransferEnd::kNetwork;
    if (error.code() == Errc::kTimeout) {
      end = TransferEnd::kTimeout;
    } else if (error.code() == Errc::kCrypto) {
      end = TransferEnd::kTls;
    } else if (delivered > 0) {
      end = TransferEnd::kInterrupted;
    }
    return {end, error.message()};
  }
  if (!response->body_complete) {
    return {TransferEnd::kInterrupted,
            "connection ended" +
                (response->body_end_detail.empty() ? "" : ": " + response->body_end_detail)};
  }
  return {TransferEnd::kComplete, {}};
}

}  // namespace

Transfer FetchHttpImage(const std::string& url, const http::ClientOptions& options,
                        const ImageRequest& image, ImageSink& sink) {
  http::ClientOptions effective = options;
  if (!image.stall_deadline) effective.timeout = kNoStallDeadline;
  std::string location = url;
  for (int redirects = 0;; ++redirects) {
    std::optional<std::string> redirect;
    Transfer transfer = FetchHttpImageOnce(location, effective, image, sink, redirect);
    if (!redirect) return transfer;
    if (redirects == kMaxRedirects) {
      return {TransferEnd::kNetwork,
              "more than " + std::to_string(kMaxRedirects) + " redirects for the image"};
    }
    auto next = RedirectTarget(location, *redirect);
    if (!next) return {TransferEnd::kNetwork, next.error().message()};
    Log("download: redirected to " + *next);
    location = std::move(*next);
  }
}

Result<std::unique_ptr<UpdateChannel>> MakeHttpChannel(const DeviceConfig& config,
                                                       const Flaws& flaws) {
  OTASIM_TRY(auto options, MakeHttpClientOptions(config, flaws));
  return std::unique_ptr<UpdateChannel>(
      std::make_unique<HttpChannel>(config.base_url, std::move(options), flaws));
}

}  // namespace otasim::device
