#define BOOST_TEST_MODULE x509
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <ctime>
#include <filesystem>

#include "otasim/crypto.hpp"
#include "otasim/files.hpp"
#include "support/temp_dir.hpp"

namespace c = otasim::crypto;
namespace fs = std::filesystem;
using otasim::testing::TempDir;

namespace {

// Runs a shell command; returns its exit status and stdout+stderr.
std::pair<int, std::string> Run(const std::string& command) {
  std::FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  BOOST_REQUIRE(pipe != nullptr);
  std::string out;
  char buffer[1024];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::pair<int, std::string> OpensslVerify(const fs::path& ca, const fs::path& leaf,
                                          const std::string& extra = "") {
  return Run("openssl verify " + extra + " -CAfile " + ca.string() + " " + leaf.string());
}

std::string CertText(const fs::path& cert) {
  auto [rc, text] = Run("openssl x509 -noout -text -in " + cert.string());
  BOOST_REQUIRE_MESSAGE(rc == 0, text);
  return text;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

c::CertificateAuthority MakeCa(c::KeyAlg alg = c::KeyAlg::kEcdsaP256) {
  auto ca = c::CertificateAuthority::Create("otasim test CA", alg);
  BOOST_REQUIRE_MESSAGE(ca.ok(), (ca.ok() ? "" : ca.error().What()));
  return std::move(ca).value();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(x509_tests)

BOOST_AUTO_TEST_CASE(ca_certificate_has_ca_extensions) {
  TempDir dir("otasim-x509-test");
  const auto ca = MakeCa();
  const fs::path ca_path = dir.Write("ca.pem", ca.cert_pem());
  const std::string text = CertText(ca_path);
  BOOST_TEST(Contains(text, "CA:TRUE"));
  BOOST_TEST(Contains(text, "X509v3 Basic Constraints: critical"));
  BOOST_TEST(Contains(text, "Certificate Sign"));
  BOOST_TEST(Contains(text, "X509v3 Subject Key Identifier"));
  BOOST_TEST(Contains(text, "Version: 3"));
  // A CA verifies as its own trust anchor.
  auto [rc, out] = OpensslVerify(ca_path, ca_path);
  BOOST_TEST(rc == 0, out);
}

BOOST_AUTO_TEST_CASE(issued_leaf_verifies_with_openssl_for_every_alg_pair) {
  for (c::KeyAlg ca_alg : {c::KeyAlg::kEcdsaP256, c::KeyAlg::kEd25519}) {
    for (c::KeyAlg leaf_alg : {c::KeyAlg::kEcdsaP256, c::KeyAlg::kEd25519}) {
      TempDir dir("otasim-x509-test");
      const auto ca = MakeCa(ca_alg);
      c::CertRequest request;
      request.common_name = "updates.example";
      request.dns_names = {"updates.example", "localhost"};
      request.ip_addresses = {"127.0.0.1", "::1"};
      request.key_alg = leaf_alg;
      auto leaf = ca.Issue(request);
      BOOST_REQUIRE_MESSAGE(leaf.ok(), (leaf.ok() ? "" : leaf.error().What()));
      const fs::path ca_path = dir.Write("ca.pem", ca.cert_pem());
      const fs::path leaf_path = dir.Write("leaf.pem", leaf->cert_pem);
      auto [rc, out] = OpensslVerify(ca_path, leaf_path, "-purpose sslserver");
      BOOST_TEST(rc == 0, out);
      BOOST_TEST(Contains(out, "OK"));

      // The returned key is the leaf's key, and of the requested algorithm.
      auto key = c::PrivateKey::FromPem(leaf->key_pem);
      BOOST_REQUIRE(key.ok());
      BOOST_TEST((key->alg() == leaf_alg));
      auto [pub_rc, pub_pem] = Run("openssl x509 -noout -pubkey -in " + leaf_path.string());
      BOOST_REQUIRE(pub_rc == 0);
      BOOST_TEST(pub_pem == key->Public().ToPem());
    }
  }
}

BOOST_AUTO_TEST_CASE(leaf_has_san_and_eku) {
  TempDir dir("otasim-x509-test");
  const auto ca = MakeCa();
  c::CertRequest request;
  request.common_name = "device-0001";
  request.dns_names = {"updates.example"};
  request.ip_addresses = {"127.0.0.1", "::1"};
  request.server = true;
  request.client = true;
  auto leaf = ca.Issue(request);
  BOOST_REQUIRE(leaf.ok());
  const std::string text = CertText(dir.Write("leaf.pem", leaf->cert_pem));
  BOOST_TEST(Contains(text, "DNS:updates.example"));
  BOOST_TEST(Contains(text, "IP Address:127.0.0.1"));
  BOOST_TEST(Contains(text, "IP Address:0:0:0:0:0:0:0:1"));
  BOOST_TEST(Contains(text, "TLS Web Server Authentication"));
  BOOST_TEST(Contains(text, "TLS Web Client Authentication"));
  BOOST_TEST(Contains(text, "CA:FALSE"));
  BOOST_TEST(Contains(text, "Subject: CN = device-0001"));
  BOOST_TEST(Contains(text, "Issuer: CN = otasim test CA"));
  BOOST_TEST(Contains(text, "X509v3 Authority Key Identifier"));

  // Client only: no serverAuth, and verification for a server purpose fails.
  request.server = false;
  auto client = ca.Issue(request);
  BOOST_REQUIRE(client.ok());
  const fs::path client_path = dir.Write("client.pem", client->cert_pem);
  const std::string client_text = CertText(client_path);
  BOOST_TEST(!Contains(client_text, "TLS Web Server Authentication"));
  const fs::path ca_path = dir.Write("ca.pem", ca.cert_pem());
  BOOST_TEST(OpensslVerify(ca_path, client_path, "-purpose sslclient").first == 0);
  BOOST_TEST(OpensslVerify(ca_path, client_path, "-purpose sslserver").first != 0);
}

BOOST_AUTO_TEST_CASE(serials_differ_and_not_before_is_backdated) {
  TempDir dir("otasim-x509-test");
  const auto ca = MakeCa();
  c::CertRequest request;
  request.common_name = "a";
  auto first = ca.Issue(request);
  auto second = ca.Issue(request);
  BOOST_REQUIRE(first.ok());
  BOOST_REQUIRE(second.ok());
  auto serial = [&](const std::string& pem, const std::string& name) {
    return Run("openssl x509 -noout -serial -in " + dir.Write(name, pem).string()).second;
  };
  BOOST_TEST(serial(first->cert_pem, "1.pem") != serial(second->cert_pem, "2.pem"));
  // -checkend 0 passes (valid now); and the cert was already valid 59 minutes ago.
  const fs::path path = dir.Write("1.pem", first->cert_pem);
  BOOST_TEST(Run("openssl x509 -noout -checkend 0 -in " + path.string()).first == 0);
  BOOST_TEST(OpensslVerify(dir.Write("ca.pem", ca.cert_pem()), path,
                           "-attime " + std::to_string(std::time(nullptr) - 59 * 60))
                 .first == 0);
}

BOOST_AUTO_TEST_CASE(foreign_and_self_signed_certs_do_not_verify) {
  TempDir dir("otasim-x509-test");
  const auto ca = MakeCa();
  const auto rogue_ca = MakeCa();
  c::CertRequest request;
  request.common_name = "updates.example";
  request.dns_names = {"updates.example"};
  auto rogue_leaf = rogue_ca.Issue(request);
  auto self_signed = c::CertificateAuthority::SelfSigned(request);
  BOOST_REQUIRE(rogue_leaf.ok());
  BOOST_REQUIRE(self_signed.ok());
  const fs::path ca_path = dir.Write("ca.pem", ca.cert_pem());
  BOOST_TEST(OpensslVerify(ca_path, dir.Write("rogue.pem", rogue_leaf->cert_pem)).first != 0);
  const fs::path self_path = dir.Write("self.pem", self_signed->cert_pem);
  BOOST_TEST(OpensslVerify(ca_path, self_path).first != 0);
  const std::string text = CertText(self_path);
  BOOST_TEST(Contains(text, "Issuer: CN = updates.example"));
  BOOST_TEST(Contains(text, "DNS:updates.example"));
  BOOST_TEST(c::PrivateKey::FromPem(self_signed->key_pem).ok());
}

BOOST_AUTO_TEST_CASE(a_ca_kept_on_disk_issues_leaves_that_verify_against_its_certificate) {
  TempDir dir("otasim-x509-test");
  const auto ca = MakeCa();
  auto loaded = c::CertificateAuthority::FromPem(ca.cert_pem(), ca.KeyPem());
  BOOST_REQUIRE_MESSAGE(loaded.ok(), (loaded.ok() ? "" : loaded.error().What()));
  BOOST_TEST(loaded->cert_pem() == ca.cert_pem());
  c::CertRequest request;
  request.common_name = "updates.example";
  request.dns_names = {"updates.example"};
  auto leaf = loaded->Issue(request);
  BOOST_REQUIRE(leaf.ok());
  auto [rc, out] = OpensslVerify(dir.Write("ca.pem", ca.cert_pem()), dir.Write("leaf.pem", leaf->cert_pem));
  BOOST_TEST(rc == 0, out);

  // Another CA's key, or a leaf posing as a CA, is refused.
  const auto other = MakeCa();
  auto wrong_key = c::CertificateAuthority::FromPem(ca.cert_pem(), other.KeyPem());
  BOOST_REQUIRE(!wrong_key.ok());
  BOOST_TEST(Contains(wrong_key.error().message(), "not the certificate's"));
  auto not_a_ca = c::CertificateAuthority::FromPem(leaf->cert_pem, leaf->key_pem);
  BOOST_REQUIRE(!not_a_ca.ok());
  BOOST_TEST(Contains(not_a_ca.error().message(), "not a CA"));
  BOOST_TEST(!c::CertificateAuthority::FromPem("garbage", ca.KeyPem()).ok());
}

BOOST_AUTO_TEST_CASE(bad_requests_are_refused) {
  const auto ca = MakeCa();
  c::CertRequest bad_ip;
  bad_ip.common_name = "x";
  bad_ip.ip_addresses = {"not-an-ip"};
  auto r = ca.Issue(bad_ip);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST((r.error().code() == otasim::Errc::kInvalidArgument));
  BOOST_TEST(Contains(r.error().message(), "not-an-ip"));

  c::CertRequest no_name;
  BOOST_TEST(!ca.Issue(no_name).ok());
  c::CertRequest no_days;
  no_days.common_name = "x";
  no_days.valid_days = 0;
  BOOST_TEST(!ca.Issue(no_days).ok());
  BOOST_TEST(!c::CertificateAuthority::Create("").ok());
}

BOOST_AUTO_TEST_SUITE_END()
