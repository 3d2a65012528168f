#define BOOST_TEST_MODULE proxy_coap_relay
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "coap_client.hpp"
#include "coap_relay.hpp"
#include "coap_server.hpp"
#include "integration/transport/http_test_util.hpp"

namespace coap = otasim::coap;
namespace proxy = otasim::proxy;
using namespace http_test;
using otasim::Errc;

namespace {

constexpr std::size_t kImageSize = 5000;  // not a multiple of any block size

std::string ImageBytes() {
  std::string image(kImageSize, '\0');
  for (std::size_t i = 0; i < image.size(); ++i) image[i] = static_cast<char>((i * 131 + 7) % 251);
  return image;
}

// The genuine side: a CA, a CoAPS server for 127.0.0.1 with a manifest and a block-wise image,
// counting the requests it answers.
struct Genuine {
  Genuine() : ca(MakeCa("genuine CA")), cert(IssueLoopbackServer(ca)), image(ImageBytes()) {
    coap::ServerOptions options;
    options.cert = coap::CertServerConfig{cert.cert_pem, cert.key_pem};
    options.block_szx = 5;  // 512: smaller than the device asks for, so the relay reassembles
    auto started = coap::StartServer(options, [this](const coap::Request& request) {
      ++requests;
      if (request.path == "/dev-0001/manifest") {
        return coap::Response::Text(205, "the genuine manifest, version 1.0.0");
      }
      if (request.path == "/dev-0001/image") {
        coap::Response response;
        response.content_format = 42;
        response.payload = image;
        return response;
      }
      if (request.path == "/dev-0001/status") return coap::Response::Text(204, request.payload);
      return coap::Response::Text(404, "no such resource");
    });
    BOOST_TEST_REQUIRE(started.ok(), (started.ok() ? "" : started.error().What()));
    server = std::move(*started);
  }
  crypto::CertificateAuthority ca;
  crypto::IssuedCert cert;
  std::string image;
  std::atomic<int> requests{0};
  std::unique_ptr<coap::Server> server;
};

std::filesystem::path LogPath(const std::string& name) {
  return std::filesystem::temp_directory_path() /
         ("otasim-coap-relay-" + std::to_string(::getpid())) / (name + ".log");
}

std::filesystem::path TempLog(const std::string& name) {
  auto path = LogPath(name);
  std::filesystem::create_directories(path.parent_path());
  std::filesystem::remove(path);
  return path;
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

proxy::RelayOptions TowardsGenuine(const Genuine& genuine, const std::string& log,
                                   const crypto::IssuedCert* attacker_cert) {
  proxy::RelayOptions options;
  options.app = "coap";
  options.upstream.port = genuine.server->port();
  options.upstream.tls = true;
  options.upstream.ca_pem = genuine.ca.cert_pem();
  options.log_path = TempLog(log);
  options.timeout = std::chrono::seconds(5);
  if (attacker_cert != nullptr) {
    options.device = {true, attacker_cert->cert_pem, attacker_cert->key_pem};
  }
  return options;
}

std::unique_ptr<proxy::CoapRelay> StartRelay(proxy::RelayOptions options) {
  auto relay = proxy::CoapRelay::Start(std::move(options));
  BOOST_TEST_REQUIRE(relay.ok(), (relay.ok() ? "" : relay.error().What()));
  return std::move(*relay);
}

// A device-side client: verifying the genuine CA (and the name), or trusting anything.
coap::ClientOptions Device(const std::string& ca_pem, bool verify_peer = true,
                           bool verify_host = true) {
  coap::ClientOptions options;
  coap::CertClientConfig cert;
  cert.ca_pem = ca_pem;
  cert.verify_peer = verify_peer;
  cert.verify_host = verify_host;
  options.cert = std::move(cert);
  options.exchange_timeout = std::chrono::seconds(3);
  options.session_timeout = std::chrono::seconds(20);
  return options;
}

std::unique_ptr<coap::Client> ConnectTo(const proxy::CoapRelay& relay,
                                        const coap::ClientOptions& options) {
  auto client = coap::Connect("127.0.0.1", relay.port(), options);
  BOOST_TEST_REQUIRE(client.ok(), (client.ok() ? "" : client.error().What()));
  return std::move(*client);
}

// Stops the relay (which ends and logs every flow) and returns its one flow record.
nlohmann::json OnlyFlow(proxy::CoapRelay& relay) {
  relay.Stop();
  auto records = relay.Connections();
  BOOST_TEST_REQUIRE(records.size() == 1u);
  return records.front();
}

void ExpectRefused(const crypto::IssuedCert& attacker_cert, const coap::ClientOptions& device,
                   const std::string& log_name) {
  Genuine genuine;
  auto relay = StartRelay(TowardsGenuine(genuine, log_name, &attacker_cert));
  auto client = ConnectTo(*relay, device);
  auto answer = client->Get("/dev-0001/manifest");
  BOOST_TEST_REQUIRE(!answer.ok());
  BOOST_TEST((answer.error().code() == Errc::kCrypto), answer.error().What());
  const auto record = OnlyFlow(*relay);
  BOOST_TEST_INFO(record.dump());
  BOOST_TEST_MESSAGE(log_name << ": " << record.dump());
  BOOST_TEST(record["device_tls"] == "failed");
  BOOST_TEST(record["device_handshake"]["client_hello"] == true);
  BOOST_TEST(record["device_handshake"]["relay_certificate_sent"] == true);
  BOOST_TEST(record["device_handshake"]["device_finished"] == false);
  BOOST_TEST(record["device_tls_error"].get<std::string>().find("the device sent alert fatal") == 0u);
  BOOST_TEST(record["requests"] == 0);
  BOOST_TEST(genuine.requests == 0);  // nothing reached the genuine server
  // Key material never reaches the log.
  const std::string log = ReadAll(LogPath(log_name));
  BOOST_TEST(log.find("\"event\":\"connection\"") != std::string::npos);
  BOOST_TEST(log.find(attacker_cert.key_pem.substr(30, 40)) == std::string::npos);
  BOOST_TEST(log.find("PRIVATE KEY") == std::string::npos);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_verifying_device_refuses_a_rogue_ca_certificate_and_the_log_says_so) {
  auto rogue_ca = MakeCa("attacker CA");
  const auto cert = IssueLoopbackServer(rogue_ca);
  Genuine reference;  // only for the genuine CA the device trusts
  ExpectRefused(cert, Device(reference.ca.cert_pem()), "rogue-ca");
}

BOOST_AUTO_TEST_CASE(a_verifying_device_refuses_a_self_signed_certificate) {
  crypto::CertRequest request;
  request.common_name = "127.0.0.1";
  request.ip_addresses = {"127.0.0.1"};
  auto cert = crypto::CertificateAuthority::SelfSigned(request);
  BOOST_TEST_REQUIRE(cert.ok());
  Genuine reference;
  ExpectRefused(*cert, Device(reference.ca.cert_pem()), "self-signed");
}

BOOST_AUTO_TEST_CASE(a_host_checking_device_refuses_a_genuine_ca_certificate_for_another_name) {
  Genuine genuine;
  crypto::CertRequest request;
  request.common_name = "update.attacker.invalid";
  request.dns_names = {"update.attacker.invalid"};
  const auto wrong_name = Issue(genuine.ca, request);
  ExpectRefused(wrong_name, Device(genuine.ca.cert_pem()), "wrong-name");

  // Without the name check the same certificate is accepted and the manifest relayed.
  auto relay = StartRelay(TowardsGenuine(genuine, "wrong-name-accepted", &wrong_name));
  auto client = ConnectTo(*relay, Device(genuine.ca.cert_pem(), true, false));
  auto answer = client->Get("/dev-0001/manifest");
  BOOST_TEST_REQUIRE(answer.ok(), (answer.ok() ? "" : answer.error().What()));
  BOOST_TEST(answer->code == 205);
  BOOST_TEST(answer->payload == "the genuine manifest, version 1.0.0");
  const auto record = OnlyFlow(*relay);
  BOOST_TEST(record["device_tls"] == "completed");
  BOOST_TEST(record["upstream_result"] == "dtls");
}

BOOST_AUTO_TEST_CASE(a_device_that_trusts_anything_gets_the_image_relayed_byte_exact) {
  Genuine genuine;
  auto rogue_ca = MakeCa("attacker CA");
  const auto cert = IssueLoopbackServer(rogue_ca);
  auto relay = StartRelay(TowardsGenuine(genuine, "trust-any", &cert));
  auto client = ConnectTo(*relay, Device(genuine.ca.cert_pem(), false));

  std::string received;
  coap::BlockwiseRequest request;
  request.path = "/dev-0001/image";
  request.szx = 6;  // the device asks for 1024, the genuine server answers 512: reassembled
  auto result = client->GetBlockwise(request, [&](std::uint64_t offset, const std::uint8_t* data,
                                                  std::size_t size) {
    BOOST_TEST(offset == received.size());
    received.append(reinterpret_cast<const char*>(data), size);
    return true;
  });
  BOOST_TEST_REQUIRE(result.ok(), (result.ok() ? "" : result.error().What()));
  BOOST_TEST(result->complete);
  BOOST_TEST(result->code == 205);
  BOOST_TEST((result->content_format == 42u));
  BOOST_TEST((result->size2 == std::optional<std::uint64_t>(kImageSize)));
  BOOST_TEST(received == genuine.image);  // byte-exact

  // Resuming from a block in the middle, in a smaller block size.
  std::string tail;
  request.szx = 4;
  request.start_block = 10;  // offset 2560
  auto resumed = client->GetBlockwise(request, [&](std::uint64_t, const std::uint8_t* data,
                                                   std::size_t size) {
    tail.append(reinterpret_cast<const char*>(data), size);
    return true;
  });
  BOOST_TEST_REQUIRE(resumed.ok());
  BOOST_TEST(tail == genuine.image.substr(2560));

  auto status = client->Post("/dev-0001/status", R"({"state":"installed"})", 50);
  BOOST_TEST_REQUIRE(status.ok());
  BOOST_TEST(status->code == 204);
  BOOST_TEST(status->payload == R"({"state":"installed"})");
  auto missing = client->Get("/dev-0001/nothing");
  BOOST_TEST_REQUIRE(missing.ok());
  BOOST_TEST(missing->code == 404);  // the genuine error passes through

  const auto record = OnlyFlow(*relay);
  BOOST_TEST_INFO(record.dump());
  BOOST_TEST(record["device_tls"] == "completed");
  BOOST_TEST(record["device_handshake"]["device_finished"] == true);
  BOOST_TEST(record["requests"].get<int>() == 5 + 10 + 2);  // 1024-byte blocks, 256-byte blocks
  BOOST_TEST(record["requests_relayed"] == record["requests"]);
  BOOST_TEST(record["payload_bytes_to_device"].get<std::size_t>() >= kImageSize);
  BOOST_TEST(genuine.requests.load() >= 17);
  const auto summary = relay->Summary();
  BOOST_TEST(summary["device_tls_completed"] == 1);
}

BOOST_AUTO_TEST_CASE(plaintext_front_logs_and_drops_a_dtls_hello_and_relays_plain_coap) {
  Genuine genuine;
  auto options = TowardsGenuine(genuine, "plaintext", nullptr);
  options.drop_tls_hello = true;
  auto relay = StartRelay(std::move(options));

  // A DTLS device meets a plaintext port: its handshake never completes.
  auto secure_options = Device(genuine.ca.cert_pem());
  secure_options.exchange_timeout = std::chrono::milliseconds(800);
  auto secure = ConnectTo(*relay, secure_options);
  auto refused = secure->Get("/dev-0001/manifest");
  BOOST_TEST_REQUIRE(!refused.ok());
  BOOST_TEST((refused.error().code() == Errc::kTimeout), refused.error().What());
  BOOST_TEST(genuine.requests == 0);

  // A plaintext device is relayed to the genuine server over verified DTLS.
  coap::ClientOptions plain;
  plain.exchange_timeout = std::chrono::seconds(3);
  auto client = ConnectTo(*relay, plain);
  auto answer = client->Get("/dev-0001/manifest");
  BOOST_TEST_REQUIRE(answer.ok(), (answer.ok() ? "" : answer.error().What()));
  BOOST_TEST(answer->payload == "the genuine manifest, version 1.0.0");

  relay->Stop();
  auto records = relay->Connections();
  BOOST_TEST_REQUIRE(records.size() == 2u);
  int hellos = 0;
  for (const auto& record : records) {
    BOOST_TEST(record["device_tls"] == "none");
    if (record["device_sent_tls_hello"] == true) {
      ++hellos;
      BOOST_TEST(record["requests"] == 0);
      BOOST_TEST(record["datagrams_to_server"] == 0);
    } else {
      BOOST_TEST(record["requests"] == 1);
      BOOST_TEST(record["upstream_result"] == "dtls");
    }
  }
  BOOST_TEST(hellos == 1);
}

BOOST_AUTO_TEST_CASE(deadlines_an_unreachable_genuine_server_and_an_idle_device) {
  Genuine genuine;
  auto rogue_ca = MakeCa("attacker CA");
  const auto cert = IssueLoopbackServer(rogue_ca);
  auto options = TowardsGenuine(genuine, "deadlines", &cert);
  options.timeout = std::chrono::milliseconds(600);
  // The genuine address swallows datagrams and never answers: upstream exchanges time out.
  const int blackhole = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  BOOST_TEST_REQUIRE(::bind(blackhole, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  BOOST_TEST_REQUIRE(::getsockname(blackhole, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  options.upstream.port = ntohs(address.sin_port);
  auto relay = StartRelay(std::move(options));
  auto client = ConnectTo(*relay, Device(genuine.ca.cert_pem(), false));
  auto answer = client->Get("/dev-0001/manifest");
  if (!answer.ok()) {
    relay->Stop();
    for (const auto& r : relay->Connections()) BOOST_TEST_MESSAGE(r.dump());
  }
  BOOST_TEST_REQUIRE(answer.ok(), (answer.ok() ? "" : answer.error().What()));
  BOOST_TEST(answer->code == 504);
  BOOST_TEST(genuine.requests == 0);  // Gateway Timeout, within the relay's deadline

  // The device then stays silent: its flow ends on the idle deadline, before Stop.
  nlohmann::json record;
  for (int i = 0; i < 100 && relay->Connections().empty(); ++i) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  auto records = relay->Connections();
  BOOST_TEST_REQUIRE(records.size() == 1u);
  BOOST_TEST(records[0]["end"] == "idle");
  BOOST_TEST(records[0]["device_tls"] == "completed");
  BOOST_TEST(records[0]["upstream_result"] == "failed");
  BOOST_TEST(records[0]["upstream_error"].get<std::string>().find("no CoAP response") !=
             std::string::npos);
  ::close(blackhole);
}

BOOST_AUTO_TEST_CASE(refuses_options_it_cannot_honour) {
  Genuine genuine;
  auto options = TowardsGenuine(genuine, "refused", nullptr);
  options.edits.push_back({proxy::EditDirection::kToDevice, "a", "b"});
  auto relay = proxy::CoapRelay::Start(options);
  BOOST_TEST(!relay.ok());
  options.edits.clear();
  options.device.tls = true;  // DTLS without a certificate
  BOOST_TEST(!proxy::CoapRelay::Start(options).ok());
}
