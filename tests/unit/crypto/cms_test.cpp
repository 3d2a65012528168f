#define BOOST_TEST_MODULE cms
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "crypto/cms.hpp"
#include "support/temp_dir.hpp"

namespace c = otasim::crypto;
using otasim::Errc;
using otasim::testing::TempDir;

namespace {

c::IssuedCert Identity(const std::string& name) {
  auto made = c::MakeCodeSigningIdentity(name);
  BOOST_REQUIRE_MESSAGE(made.ok(), (made.ok() ? "" : made.error().What()));
  return *made;
}

c::Bytes SignOrFail(const std::string& content, const c::IssuedCert& identity) {
  auto der = c::CmsSignDetached(content, identity.cert_pem, identity.key_pem);
  BOOST_REQUIRE_MESSAGE(der.ok(), (der.ok() ? "" : der.error().What()));
  return *der;
}

int Shell(const std::string& command, std::string& out) {
  std::FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  BOOST_REQUIRE(pipe != nullptr);
  char buffer[1024];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_detached_signature_verifies_over_its_content) {
  const c::IssuedCert vendor = Identity("vendor");
  const std::string content = "software = { version = \"1.0.0\"; };\n";
  const c::Bytes signature = SignOrFail(content, vendor);
  BOOST_TEST(signature.size() > 100u);
  BOOST_TEST(signature[0] == 0x30);  // DER SEQUENCE
  auto verified = c::CmsVerifyDetached(content, signature, vendor.cert_pem);
  BOOST_TEST(verified.ok(), (verified.ok() ? "" : verified.error().What()));
}

BOOST_AUTO_TEST_CASE(altered_content_or_another_signer_fails_as_a_signature_error) {
  const c::IssuedCert vendor = Identity("vendor");
  const c::IssuedCert rogue = Identity("rogue");
  const c::Bytes signature = SignOrFail("version 1", vendor);

  auto altered = c::CmsVerifyDetached("version 2", signature, vendor.cert_pem);
  BOOST_REQUIRE(!altered.ok());
  BOOST_TEST((altered.error().code() == Errc::kSignature));

  auto untrusted = c::CmsVerifyDetached("version 1", SignOrFail("version 1", rogue), vendor.cert_pem);
  BOOST_REQUIRE(!untrusted.ok());
  BOOST_TEST((untrusted.error().code() == Errc::kSignature));

  const c::Bytes garbage = {0x30, 0x03, 0x02, 0x01, 0x01};
  auto not_cms = c::CmsVerifyDetached("version 1", garbage, vendor.cert_pem);
  BOOST_REQUIRE(!not_cms.ok());
  BOOST_TEST((not_cms.error().code() == Errc::kSignature));
}

BOOST_AUTO_TEST_CASE(bad_pem_is_refused_with_what_it_was) {
  auto bad = c::CmsSignDetached("x", "not a certificate", "not a key");
  BOOST_REQUIRE(!bad.ok());
  BOOST_TEST(bad.error().message().find("CMS signer") != std::string::npos);
}

// The OpenSSL command line (what SWUpdate's verification is built on) accepts what we sign,
// with the code-signing certificate as the only trust anchor.
BOOST_AUTO_TEST_CASE(openssl_cms_verify_accepts_the_signature_and_the_certificate_usages) {
  TempDir dir("otasim-cms");
  const c::IssuedCert vendor = Identity("vendor");
  const std::string content = "sw-description bytes\n";
  const c::Bytes signature = SignOrFail(content, vendor);
  dir.Write("content", content);
  dir.Write("content.sig", std::string(signature.begin(), signature.end()));
  dir.Write("cert.pem", vendor.cert_pem);
  const std::string d = dir.path().string();
  std::string out;
  int rc = Shell("openssl cms -verify -binary -inform DER -in " + d + "/content.sig -content " + d +
                     "/content -CAfile " + d + "/cert.pem -purpose any -out /dev/null",
                 out);
  BOOST_TEST(rc == 0, out);
  std::string text;
  BOOST_REQUIRE(Shell("openssl x509 -noout -text -in " + d + "/cert.pem", text) == 0);
  BOOST_TEST(text.find("CA:TRUE") != std::string::npos);
  BOOST_TEST(text.find("Code Signing") != std::string::npos);
  BOOST_TEST(text.find("E-mail Protection") != std::string::npos);
  BOOST_TEST(text.find("prime256v1") != std::string::npos);
}
