// otasim-bench-mitm [MiB] [runs]: the cost of the on-path TLS proxy. An HTTPS server streams a
// generated body (default 256 MiB, never held in memory) to the HTTP client, once directly and
// once through sim/proxy's TcpRelay terminating TLS towards the client and re-encrypting
// towards the server (what attack.mitm does). Prints one JSON object; mitm_overhead_ratio is
// the best proxied time over the best direct time (1.0 = free).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

#include "http_client.hpp"
#include "http_server.hpp"
#include "otasim/byte_source.hpp"
#include "otasim/crypto.hpp"
#include "tcp_relay.hpp"

namespace {

using namespace otasim;
using Clock = std::chrono::steady_clock;

// A repeating pattern, generated as it is read.
class PatternSource final : public ByteSource {
 public:
  explicit PatternSource(std::uint64_t length) : length_(length) {}
  Result<std::size_t> Read(std::span<std::uint8_t> out) override {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), length_ - at_));
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>((at_ + i) * 131u);
    at_ += n;
    return n;
  }
  std::optional<std::uint64_t> Length() const override { return length_; }

 private:
  std::uint64_t length_;
  std::uint64_t at_ = 0;
};

[[noreturn]] void Die(const std::string& what, const Error& error) {
  std::fprintf(stderr, "otasim-bench-mitm: %s: %s\n", what.c_str(), error.What().c_str());
  std::exit(1);
}

// Seconds to fetch `url` whole, best of `runs`.
double BestFetch(const std::string& url, const http::ClientOptions& options, std::uint64_t size,
                 int runs) {
  double best = 1e300;
  for (int i = 0; i < runs; ++i) {
    std::uint64_t received = 0;
    http::ClientRequest request;
    request.url = url;
    const auto start = Clock::now();
    auto response = http::Fetch(request, options, [&](const std::uint8_t*, std::size_t n) {
      received += n;
      return true;
    });
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (!response) Die("fetching " + url, response.error());
    if (received != size || !response->body_complete) {
      std::fprintf(stderr, "otasim-bench-mitm: %s: %llu of %llu bytes\n", url.c_str(),
                   static_cast<unsigned long long>(received), static_cast<unsigned long long>(size));
      std::exit(1);
    }
    best = std::min(best, seconds);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t mib = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 256;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 3;
  const std::uint64_t size = mib << 20;

  auto ca = crypto::CertificateAuthority::Create("bench CA");
  if (!ca) Die("CA", ca.error());
  crypto::CertRequest name;
  name.common_name = "127.0.0.1";
  name.ip_addresses = {"127.0.0.1"};
  auto server_cert = ca->Issue(name);
  auto proxy_cert = ca->Issue(name);
  if (!server_cert) Die("server certificate", server_cert.error());
  if (!proxy_cert) Die("proxy certificate", proxy_cert.error());

  http::ServerOptions server_options;
  server_options.tls = http::TlsServerConfig{server_cert->cert_pem, server_cert->key_pem, "", false};
  server_options.io_timeout = std::chrono::seconds(30);
  auto server = http::StartServer(server_options, [size](const http::Request&) {
    http::Response response;
    response.stream = std::make_unique<PatternSource>(size);
    return response;
  });
  if (!server) Die("server", server.error());

  proxy::RelayOptions relay_options;
  relay_options.label = "bench";
  relay_options.device = {true, proxy_cert->cert_pem, proxy_cert->key_pem};
  relay_options.upstream.port = (*server)->port();
  relay_options.upstream.tls = true;
  relay_options.upstream.ca_pem = ca->cert_pem();
  relay_options.timeout = std::chrono::seconds(30);
  auto relay = proxy::TcpRelay::Start(relay_options);
  if (!relay) Die("relay", relay.error());

  http::ClientOptions client;
  client.ca_pem = ca->cert_pem();
  client.timeout = std::chrono::seconds(30);
  const std::string path = "/image.bin";
  const double direct = BestFetch((*server)->BaseUrl() + path, client, size, runs);
  const double proxied = BestFetch(
      "https://127.0.0.1:" + std::to_string((*relay)->port()) + path, client, size, runs);
  (*relay)->Stop();
  (*server)->Stop();

  const double mib_d = static_cast<double>(size) / (1 << 20);
  nlohmann::json out = {{"bytes", size},
                        {"runs", runs},
                        {"direct_seconds", direct},
                        {"proxy_seconds", proxied},
                        {"direct_mib_per_s", mib_d / direct},
                        {"proxy_mib_per_s", mib_d / proxied},
                        {"mitm_overhead_ratio", proxied / direct}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
