#define BOOST_TEST_MODULE coap_server_name
#include <boost/test/unit_test.hpp>
// CoAPS with certificates: the client checks that the server's certificate chains to its CA
// and names the host it connects to (IDA-1, IDA-2); the switches a flawed device turns off.

#include "coap_client.hpp"
#include "coap_server.hpp"
#include "otasim/crypto.hpp"

namespace coap = otasim::coap;
namespace crypto = otasim::crypto;

namespace {

crypto::CertificateAuthority MakeCa(const std::string& name) {
  auto ca = crypto::CertificateAuthority::Create(name);
  BOOST_TEST_REQUIRE(ca.ok());
  return std::move(*ca);
}

crypto::IssuedCert IssueFor(const crypto::CertificateAuthority& ca, std::vector<std::string> dns,
                            std::vector<std::string> ips) {
  crypto::CertRequest request;
  request.common_name = dns.empty() ? ips.front() : dns.front();
  request.dns_names = std::move(dns);
  request.ip_addresses = std::move(ips);
  auto cert = ca.Issue(request);
  BOOST_TEST_REQUIRE(cert.ok());
  return std::move(*cert);
}

std::unique_ptr<coap::Server> Serve(const crypto::IssuedCert& cert) {
  coap::ServerOptions options;
  options.cert = coap::CertServerConfig{cert.cert_pem, cert.key_pem, false, ""};
  auto server = coap::StartServer(options, [](const coap::Request&) {
    coap::Response response;
    response.payload = "ok";
    return response;
  });
  BOOST_TEST_REQUIRE(server.ok(), (server.ok() ? "" : server.error().What()));
  return std::move(*server);
}

otasim::Result<coap::ClientResponse> Get(const coap::Server& server, coap::CertClientConfig cert) {
  coap::ClientOptions options;
  options.exchange_timeout = std::chrono::milliseconds(3000);
  options.session_timeout = std::chrono::milliseconds(10000);
  options.cert = std::move(cert);
  auto client = coap::Connect("127.0.0.1", server.port(), options);
  if (!client) return client.error();
  return (*client)->Get("/manifest", "");
}

}  // namespace

BOOST_AUTO_TEST_CASE(accepts_a_certificate_naming_the_ip_address) {
  auto ca = MakeCa("genuine CA");
  auto server = Serve(IssueFor(ca, {"localhost"}, {"127.0.0.1"}));
  auto get = Get(*server, {ca.cert_pem(), "", ""});
  BOOST_TEST_REQUIRE(get.ok(), (get.ok() ? "" : get.error().What()));
  BOOST_TEST(get->code == 205);
}

BOOST_AUTO_TEST_CASE(refuses_a_trusted_certificate_for_another_name) {
  auto ca = MakeCa("genuine CA");
  auto server = Serve(IssueFor(ca, {"update.attacker.invalid"}, {}));
  auto get = Get(*server, {ca.cert_pem(), "", ""});
  BOOST_TEST_REQUIRE(!get.ok());
  BOOST_TEST(static_cast<int>(get.error().code()) == static_cast<int>(otasim::Errc::kCrypto));
  BOOST_TEST(get.error().message().find("does not name 127.0.0.1") != std::string::npos,
             get.error().message());

  // The no-hostname-check switch: the chain is still checked, the name is not.
  coap::CertClientConfig lax{ca.cert_pem(), "", ""};
  lax.verify_host = false;
  auto accepted = Get(*server, lax);
  BOOST_TEST(accepted.ok(), (accepted.ok() ? "" : accepted.error().What()));
}

BOOST_AUTO_TEST_CASE(refuses_a_rogue_ca_unless_told_to_trust_anything) {
  auto genuine = MakeCa("genuine CA");
  auto rogue = MakeCa("rogue CA");
  auto server = Serve(IssueFor(rogue, {"localhost"}, {"127.0.0.1"}));
  auto get = Get(*server, {genuine.cert_pem(), "", ""});
  BOOST_TEST_REQUIRE(!get.ok());
  BOOST_TEST(static_cast<int>(get.error().code()) == static_cast<int>(otasim::Errc::kCrypto));

  coap::CertClientConfig any{genuine.cert_pem(), "", ""};
  any.verify_peer = false;  // the trust-any-server-cert switch
  auto accepted = Get(*server, any);
  BOOST_TEST(accepted.ok(), (accepted.ok() ? "" : accepted.error().What()));
}
