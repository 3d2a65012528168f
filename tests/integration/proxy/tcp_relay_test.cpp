#define BOOST_TEST_MODULE proxy_tcp_relay
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>
#include <thread>

#include "integration/transport/http_test_util.hpp"
#include "tcp_relay.hpp"

namespace http = otasim::http;
namespace proxy = otasim::proxy;
using namespace http_test;

namespace {

// The genuine side: a CA, an HTTPS server for 127.0.0.1 that counts requests.
struct Genuine {
  Genuine() : ca(MakeCa("genuine CA")), cert(IssueLoopbackServer(ca)) {
    http::ServerOptions options;
    options.tls = TlsConfig(cert);
    server = Start(options, [this](const http::Request&) {
      ++requests;
      return http::Response::Text(200, "the genuine manifest, version 1.0.0");
    });
  }
  crypto::CertificateAuthority ca;
  crypto::IssuedCert cert;
  std::atomic<int> requests{0};
  std::unique_ptr<http::Server> server;
};

std::filesystem::path TempLog(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("otasim-relay-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / (name + ".log");
  std::filesystem::remove(path);
  return path;
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

proxy::RelayOptions TowardsGenuine(const Genuine& genuine, const std::string& log) {
  proxy::RelayOptions options;
  options.upstream.port = genuine.server->port();
  options.upstream.tls = true;
  options.upstream.ca_pem = genuine.ca.cert_pem();
  options.log_path = TempLog(log);
  options.timeout = std::chrono::seconds(5);
  return options;
}

std::unique_ptr<proxy::TcpRelay> StartRelay(proxy::RelayOptions options) {
  auto relay = proxy::TcpRelay::Start(std::move(options));
  BOOST_TEST_REQUIRE(relay.ok(), (relay.ok() ? "" : relay.error().What()));
  return std::move(*relay);
}

// Connection records are written when a connection ends, just after the client saw its end.
std::vector<nlohmann::json> WaitForConnections(const proxy::TcpRelay& relay, std::size_t n) {
  for (int i = 0; i < 200 && relay.Connections().size() < n; ++i) {
    std::this_thread::sleep_for(milliseconds(25));
  }
  return relay.Connections();
}

http::ClientOptions Trusting(const std::string& ca_pem) {
  http::ClientOptions options;
  options.ca_pem = ca_pem;
  options.timeout = std::chrono::seconds(5);
  return options;
}

std::string Url(const proxy::TcpRelay& relay, const std::string& scheme) {
  return scheme + "://127.0.0.1:" + std::to_string(relay.port()) + "/dev-0001/manifest";
}

}  // namespace

BOOST_AUTO_TEST_CASE(terminates_tls_and_relays_to_the_verified_genuine_server) {
  Genuine genuine;
  auto attacker_ca = MakeCa("attacker CA");
  auto attacker_cert = IssueLoopbackServer(attacker_ca);
  auto options = TowardsGenuine(genuine, "terminate");
  options.device = {true, attacker_cert.cert_pem, attacker_cert.key_pem};
  auto relay = StartRelay(options);

  // A device that (wrongly) trusts the attacker's CA gets the genuine answer through the relay.
  http::ClientRequest request;
  request.url = Url(*relay, "https");
  auto response = http::Fetch(request, Trusting(attacker_ca.cert_pem()));
  BOOST_TEST_REQUIRE(response.ok(), ErrorText(response));
  BOOST_TEST(response->body == "the genuine manifest, version 1.0.0");
  BOOST_TEST(genuine.requests == 1);

  auto records = WaitForConnections(*relay, 1);
  BOOST_TEST_REQUIRE(records.size() == 1u);
  BOOST_TEST(records[0]["device_tls"] == "completed");
  BOOST_TEST(records[0]["upstream_result"] == "tls");
  BOOST_TEST(records[0]["bytes_to_server"].get<std::uint64_t>() > 0u);
  BOOST_TEST(records[0]["bytes_to_device"].get<std::uint64_t>() > 0u);
}

BOOST_AUTO_TEST_CASE(logs_the_device_refusing_the_handshake_and_never_the_keys) {
  Genuine genuine;
  auto rogue_ca = MakeCa("rogue CA");
  auto rogue_cert = IssueLoopbackServer(rogue_ca);
  auto options = TowardsGenuine(genuine, "refused");
  options.device = {true, rogue_cert.cert_pem, rogue_cert.key_pem};
  const auto log_path = options.log_path;
  auto relay = StartRelay(options);

  // The device trusts only the genuine CA: it aborts, and nothing reaches the server.
  http::ClientRequest request;
  request.url = Url(*relay, "https");
  auto response = http::Fetch(request, Trusting(genuine.ca.cert_pem()));
  BOOST_TEST_REQUIRE(!response.ok());
  BOOST_TEST(static_cast<int>(response.error().code()) == static_cast<int>(otasim::Errc::kCrypto));

  auto records = WaitForConnections(*relay, 1);
  BOOST_TEST_REQUIRE(records.size() == 1u);
  BOOST_TEST(records[0]["device_tls"] == "failed");
  const std::string reason = records[0]["device_tls_error"];
  BOOST_TEST(reason.find("unknown ca") != std::string::npos, "reason: " << reason);
  BOOST_TEST(!records[0].contains("upstream_result"));
  BOOST_TEST(genuine.requests == 0);
  BOOST_TEST(relay->Summary()["device_tls_failed"] == 1);
  relay->Stop();

  const std::string log = ReadAll(log_path);
  BOOST_TEST(log.find("unknown ca") != std::string::npos);
  BOOST_TEST(log.find("PRIVATE KEY") == std::string::npos);
  // Not even a line of the keys' base64.
  for (const std::string* pem : {&rogue_cert.key_pem, &genuine.cert.key_pem}) {
    std::istringstream lines(*pem);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("-----", 0) == 0 || line.size() < 16) continue;
      BOOST_TEST(log.find(line) == std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(edits_the_plaintext_stream_towards_the_device) {
  Genuine genuine;
  auto options = TowardsGenuine(genuine, "edit");
  options.edits.push_back({proxy::EditDirection::kToDevice, "1.0.0", "6.6.6"});
  auto relay = StartRelay(options);

  http::ClientRequest request;
  request.url = Url(*relay, "http");  // the device talks plaintext to the relay
  auto response = http::Fetch(request, Trusting(""));
  BOOST_TEST_REQUIRE(response.ok(), ErrorText(response));
  BOOST_TEST(response->body == "the genuine manifest, version 6.6.6");
  auto records = WaitForConnections(*relay, 1);
  BOOST_TEST_REQUIRE(records.size() == 1u);
  BOOST_TEST(records[0]["device_tls"] == "none");
  BOOST_TEST(records[0]["edits_applied"] == 1);
  BOOST_TEST(relay->Summary()["edits_applied"] == 1);
}

BOOST_AUTO_TEST_CASE(refuses_upstream_that_fails_the_genuine_ca_check) {
  // The relay is a verifying client of the genuine server: a server it cannot verify gets no
  // bytes from the device.
  Genuine genuine;
  auto other_ca = MakeCa("some other CA");
  auto options = TowardsGenuine(genuine, "upstream");
  options.upstream.ca_pem = other_ca.cert_pem();
  auto relay = StartRelay(options);
  http::ClientRequest request;
  request.url = Url(*relay, "http");
  auto response = http::Fetch(request, Trusting(""));
  BOOST_TEST(!response.ok());
  auto records = WaitForConnections(*relay, 1);
  BOOST_TEST_REQUIRE(records.size() == 1u);
  BOOST_TEST(records[0]["upstream_result"] == "tls-failed");
  BOOST_TEST(genuine.requests == 0);
}

BOOST_AUTO_TEST_CASE(drops_a_tls_hello_in_plaintext_mode) {
  Genuine genuine;
  auto options = TowardsGenuine(genuine, "strip");
  options.drop_tls_hello = true;
  auto relay = StartRelay(options);
  http::ClientRequest request;
  request.url = Url(*relay, "https");  // the device expects TLS on a port that speaks none
  auto response = http::Fetch(request, Trusting(genuine.ca.cert_pem()));
  BOOST_TEST(!response.ok());
  auto records = WaitForConnections(*relay, 1);
  BOOST_TEST_REQUIRE(records.size() == 1u);
  BOOST_TEST(records[0]["device_sent_tls_hello"] == true);
  BOOST_TEST(records[0]["end"] == "device-spoke-tls");
  BOOST_TEST(genuine.requests == 0);
}

BOOST_AUTO_TEST_CASE(answers_with_a_canned_redirect) {
  Genuine genuine;
  auto options = TowardsGenuine(genuine, "canned");
  options.canned_response = "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/x/manifest\r\n"
                            "Content-Length: 0\r\nConnection: close\r\n\r\n";
  auto relay = StartRelay(options);
  http::ClientRequest request;
  request.url = Url(*relay, "http");
  auto response = http::Fetch(request, Trusting(""));
  BOOST_TEST_REQUIRE(response.ok(), ErrorText(response));
  BOOST_TEST(response->status == 302);
  BOOST_TEST(response->Header("location").value_or("") == "http://127.0.0.1:1/x/manifest");
  auto records = WaitForConnections(*relay, 1);
  BOOST_TEST_REQUIRE(records.size() == 1u);
  BOOST_TEST(records[0]["request_line"] == "GET /dev-0001/manifest HTTP/1.1");
  BOOST_TEST(genuine.requests == 0);
}

BOOST_AUTO_TEST_CASE(closes_a_silent_connection_at_its_deadline) {
  Genuine genuine;
  auto options = TowardsGenuine(genuine, "deadline");
  auto attacker_ca = MakeCa("attacker CA");
  auto cert = IssueLoopbackServer(attacker_ca);
  options.device = {true, cert.cert_pem, cert.key_pem};
  options.timeout = milliseconds(200);
  auto relay = StartRelay(options);

  // A peer that connects and never says anything: the handshake wait ends at the deadline.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(relay->port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_TEST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  auto records = WaitForConnections(*relay, 1);
  ::close(fd);
  BOOST_TEST_REQUIRE(records.size() == 1u);
  BOOST_TEST(records[0]["device_tls"] == "failed");
  BOOST_TEST(records[0]["device_tls_error"] == "no handshake within the deadline");
}

BOOST_AUTO_TEST_CASE(stop_is_idempotent_and_ends_open_connections) {
  Genuine genuine;
  auto relay = StartRelay(TowardsGenuine(genuine, "stop"));
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(relay->port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_TEST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  relay->Stop();
  relay->Stop();
  char byte = 0;
  BOOST_TEST(::recv(fd, &byte, 1, 0) <= 0);  // closed by the relay
  ::close(fd);
}
