#define BOOST_TEST_MODULE signing_identities
#include <boost/test/unit_test.hpp>

#include <span>

#include "crypto/cms.hpp"
#include "otasim/manifest.hpp"
#include "scenario/signing_identities.hpp"

namespace crypto = otasim::crypto;
namespace manifest = otasim::manifest;
using otasim::Errc;
using otasim::scenario::SigningIdentities;

namespace {

crypto::PrivateKey NewKey() {
  auto key = crypto::PrivateKey::Generate(crypto::KeyAlg::kEd25519);
  BOOST_REQUIRE(key.ok());
  return *key;
}

std::string SignedEnvelope(const crypto::PrivateKey& key) {
  manifest::Manifest m;
  m.vendor_id = "otasim-vendor";
  m.class_id = "otasim-class-a";
  m.version = "1.0.0";
  m.sequence = 1;
  m.image = {.digest = std::string(64, 'a'), .size = 10, .uri = "images/v1.bin"};
  m.issued = "2026-01-01T00:00:00Z";
  m.expires = "2030-01-01T00:00:00Z";
  auto envelope = manifest::Sign(m, std::span(&key, 1));
  BOOST_REQUIRE(envelope.ok());
  return manifest::ToJson(*envelope);
}

struct Fixture {
  crypto::PrivateKey vendor = NewKey();
  crypto::PrivateKey rogue = NewKey();
  SigningIdentities identities{{{"vendor", &vendor}, {"rogue", &rogue}}};
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(signing_identities, Fixture)

BOOST_AUTO_TEST_CASE(an_identity_is_made_once_per_name_and_signs_cms) {
  auto first = identities.Identity("vendor");
  auto again = identities.Identity("vendor");
  auto other = identities.Identity("rogue");
  BOOST_REQUIRE(first.ok() && again.ok() && other.ok());
  BOOST_TEST(first->name == "vendor");
  BOOST_TEST(first->cert_pem == again->cert_pem);
  BOOST_TEST(first->cert_pem != other->cert_pem);
  auto signature = crypto::CmsSignDetached("text", first->cert_pem, first->key_pem);
  BOOST_REQUIRE(signature.ok());
  BOOST_TEST(crypto::CmsVerifyDetached("text", *signature, first->cert_pem).ok());
  BOOST_TEST(!crypto::CmsVerifyDetached("text", *signature, other->cert_pem).ok());
}

BOOST_AUTO_TEST_CASE(the_signer_of_an_envelope_is_the_key_that_verifies_it) {
  auto by_vendor = identities.SignerOf(SignedEnvelope(vendor));
  BOOST_REQUIRE(by_vendor.ok());
  BOOST_TEST(by_vendor->name == "vendor");
  auto by_rogue = identities.SignerOf(SignedEnvelope(rogue));
  BOOST_REQUIRE(by_rogue.ok());
  BOOST_TEST(by_rogue->name == "rogue");

  auto unknown = identities.SignerOf(SignedEnvelope(NewKey()));
  BOOST_REQUIRE(!unknown.ok());
  BOOST_TEST((unknown.error().code() == Errc::kSignature));
  auto garbage = identities.SignerOf("not json");
  BOOST_REQUIRE(!garbage.ok());
  BOOST_TEST((garbage.error().code() == Errc::kSignature));
}

BOOST_AUTO_TEST_CASE(a_given_identity_and_the_public_keys_are_served_as_they_are) {
  identities.SetIdentity({.name = "vendor", .cert_pem = "CERT", .key_pem = "KEY"});
  auto vendor_identity = identities.Identity("vendor");
  BOOST_REQUIRE(vendor_identity.ok());
  BOOST_TEST(vendor_identity->cert_pem == "CERT");
  auto pem = identities.PublicKeyPem("vendor");
  BOOST_REQUIRE(pem.ok());
  BOOST_TEST(*pem == vendor.Public().ToPem());
  BOOST_TEST(!identities.PublicKeyPem("vendor-9").ok());
}

BOOST_AUTO_TEST_SUITE_END()
