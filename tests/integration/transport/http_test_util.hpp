// Helpers for the HTTP transport tests: a per-test PKI, raw POSIX sockets (to send malformed
// bytes, or to play a server that never answers).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>

#include "http_client.hpp"
#include "http_server.hpp"
#include "otasim/crypto.hpp"

namespace http_test {

namespace crypto = otasim::crypto;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

inline crypto::CertificateAuthority MakeCa(const std::string& name) {
  auto ca = crypto::CertificateAuthority::Create(name);
  BOOST_TEST_REQUIRE(ca.ok(), (ca.ok() ? "" : ca.error().What()));
  return std::move(*ca);
}

inline crypto::IssuedCert Issue(const crypto::CertificateAuthority& ca,
                                const crypto::CertRequest& request) {
  auto cert = ca.Issue(request);
  BOOST_TEST_REQUIRE(cert.ok(), (cert.ok() ? "" : cert.error().What()));
  return std::move(*cert);
}

// A server certificate for the loopback address, as the simulator issues them.
inline crypto::IssuedCert IssueLoopbackServer(const crypto::CertificateAuthority& ca) {
  crypto::CertRequest request;
  request.common_name = "127.0.0.1";
  request.ip_addresses = {"127.0.0.1"};
  request.dns_names = {"localhost"};
  return Issue(ca, request);
}

inline otasim::http::TlsServerConfig TlsConfig(const crypto::IssuedCert& cert) {
  otasim::http::TlsServerConfig tls;
  tls.cert_chain_pem = cert.cert_pem;
  tls.key_pem = cert.key_pem;
  return tls;
}

inline std::unique_ptr<otasim::http::Server> Start(const otasim::http::ServerOptions& options,
                                                   otasim::http::Handler handler) {
  auto server = otasim::http::StartServer(options, std::move(handler));
  BOOST_TEST_REQUIRE(server.ok(), (server.ok() ? "" : server.error().What()));
  return std::move(*server);
}

inline std::string ErrorText(const otasim::Result<otasim::http::ClientResponse>& r) {
  return r.ok() ? "ok" : r.error().What();
}

inline long ElapsedMs(Clock::time_point since) {
  return static_cast<long>(
      std::chrono::duration_cast<milliseconds>(Clock::now() - since).count());
}

inline std::string Sha256Hex(std::string_view data) {
  return crypto::HexEncode(crypto::Sha256::Of(crypto::AsBytes(data)));
}

inline std::string RandomBytes(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(size, '\0');
  for (auto& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

// A byte source that does not know its length: the response has no Content-Length.
class UnknownLengthSource : public otasim::ByteSource {
 public:
  explicit UnknownLengthSource(std::string data) : data_(std::move(data)) {}
  otasim::Result<std::size_t> Read(std::span<std::uint8_t> out) override {
    std::size_t n = std::min(out.size(), data_.size() - offset_);
    std::memcpy(out.data(), data_.data() + offset_, n);
    offset_ += n;
    return n;
  }
  std::optional<std::uint64_t> Length() const override { return std::nullopt; }

 private:
  std::string data_;
  std::size_t offset_ = 0;
};

// A TCP socket on 127.0.0.1, closed by the destructor.
class RawSocket {
 public:
  RawSocket() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) { BOOST_TEST_REQUIRE(fd_ >= 0); }
  ~RawSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  // Binds to a free loopback port; with `listen`, the kernel completes connections for us even
  // though nobody ever accepts them: a server that never answers.
  std::uint16_t BindLoopback(bool listen) {
    sockaddr_in addr = Loopback(0);
    BOOST_TEST_REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    if (listen) BOOST_TEST_REQUIRE(::listen(fd_, 16) == 0);
    socklen_t length = sizeof addr;
    BOOST_TEST_REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &length) == 0);
    return ntohs(addr.sin_port);
  }

  void Connect(std::uint16_t port) {
    sockaddr_in addr = Loopback(port);
    BOOST_TEST_REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }

  void Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      BOOST_TEST_REQUIRE(n > 0);
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // Reads until the peer closes (or resets) the connection or `timeout` passes.
  std::string ReadUntilClose(milliseconds timeout, bool* closed) {
    std::string data;
    *closed = false;
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
      if (::poll(&p, 1, static_cast<int>(std::max<long>(left, 1))) <= 0) continue;
      char buffer[4096];
      ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) {
        *closed = true;
        break;
      }
      data.append(buffer, static_cast<std::size_t>(n));
    }
    return data;
  }

 private:
  static sockaddr_in Loopback(std::uint16_t port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
  }
  int fd_;
};

}  // namespace http_test
