#define BOOST_TEST_MODULE attack_key_injection
#include <boost/test/unit_test.hpp>

#include "otasim/root_document.hpp"
#include "support/plugins_fake_env.hpp"

using otasim::testing::FakeEnv;
using otasim::testing::PluginCatalog;
namespace crypto = otasim::crypto;
namespace manifest = otasim::manifest;

namespace {

struct Fixture {
  Fixture() {
    env.AddRelease({.name = "v1", .version = "1.0.0", .sequence = 1, .size = 1000});
    env.AddRelease({.name = "v2", .version = "2.0.0", .sequence = 2, .size = 1000});
    env.Publish("v2");
  }

  // The published envelope through an attack.key-injection with `raw` parameters, parsed.
  manifest::Envelope Injected(const std::map<std::string, std::string>& raw) {
    auto attacker = PluginCatalog::Get().MakeAttacker("attack.key-injection", raw);
    BOOST_REQUIRE_MESSAGE(attacker.ok(), (attacker.ok() ? "" : attacker.error().What()));
    BOOST_REQUIRE((*attacker)->Prepare(env).ok());
    otasim::ManifestDelivery delivery{env.PublishedRelease()->envelope};
    auto status = (*attacker)->OnManifest(env, {}, delivery);
    BOOST_REQUIRE_MESSAGE(status.ok(), (status.ok() ? "" : status.error().What()));
    auto envelope = manifest::ParseEnvelope(delivery.envelope);
    BOOST_REQUIRE(envelope.ok());
    return envelope.value();
  }

  crypto::PublicKey Rogue() {
    auto key = env.RogueSigningKey();
    BOOST_REQUIRE(key.ok());
    return key->Public();
  }

  FakeEnv env;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(key_injection, Fixture)

BOOST_AUTO_TEST_CASE(in_band_key_signs_with_the_key_it_carries) {
  const manifest::Envelope envelope = Injected({{"mode", "in-band-key"}});
  BOOST_REQUIRE(envelope.keys.size() == 1u);
  BOOST_TEST(envelope.keys[0] == Rogue().ToPem());
  const crypto::PublicKey rogue = Rogue();
  const crypto::PublicKey vendor = env.vendor_key().Public();
  BOOST_TEST(manifest::Verify(envelope, std::span(&rogue, 1)).ok());
  BOOST_TEST(!manifest::Verify(envelope, std::span(&vendor, 1)).ok());
}

BOOST_AUTO_TEST_CASE(weak_alg_relabels_the_vendor_signature) {
  const crypto::PublicKey vendor = env.vendor_key().Public();
  const manifest::Envelope none = Injected({{"mode", "weak-alg"}});
  BOOST_REQUIRE(none.signatures.size() == 1u);
  BOOST_TEST(none.signatures[0].keyid == vendor.KeyId());
  BOOST_TEST(none.signatures[0].alg == "none");
  BOOST_TEST(none.signatures[0].sig.empty());
  auto refused = manifest::Verify(none, std::span(&vendor, 1));
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST((refused.error().failure == manifest::Failure::kUnsupportedAlg));

  const manifest::Envelope sha1 = Injected({{"mode", "weak-alg"}, {"alg", "rsa-pkcs1-sha1"}});
  BOOST_TEST(sha1.signatures[0].alg == "rsa-pkcs1-sha1");
  BOOST_TEST(!sha1.signatures[0].sig.empty());  // the original bytes, under a weak label
}

BOOST_AUTO_TEST_CASE(unsigned_root_is_signed_only_by_its_own_key) {
  const manifest::Envelope envelope = Injected({{"mode", "unsigned-root"}, {"root_version", "3"}});
  BOOST_REQUIRE(envelope.root_updates.size() == 1u);
  // Valid on its own terms (self-signed), naming only the rogue key ...
  auto root = manifest::ParseSelfSignedRoot(envelope.root_updates[0]);
  BOOST_REQUIRE_MESSAGE(root.ok(), (root.ok() ? "" : root.error().detail));
  BOOST_TEST(root.value().root.version == 3u);
  BOOST_REQUIRE(root.value().keys.size() == 1u);
  BOOST_TEST(root.value().keys[0].KeyId() == Rogue().KeyId());
  // ... and the manifest is signed by it.
  const crypto::PublicKey rogue = Rogue();
  BOOST_TEST(manifest::Verify(envelope, std::span(&rogue, 1)).ok());
}

BOOST_AUTO_TEST_CASE(bad_root_version_is_refused_at_prepare) {
  auto attacker = PluginCatalog::Get().MakeAttacker(
      "attack.key-injection", {{"mode", "unsigned-root"}, {"root_version", "two"}});
  BOOST_REQUIRE(attacker.ok());
  auto prepared = (*attacker)->Prepare(env);
  BOOST_REQUIRE(!prepared.ok());
  BOOST_TEST(prepared.error().message().find("root_version") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
