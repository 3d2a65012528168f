#define BOOST_TEST_MODULE verify
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "otasim/manifest.hpp"

namespace m = otasim::manifest;
namespace c = otasim::crypto;
using Json = nlohmann::json;

namespace {

m::Manifest Sample() {
  m::Manifest manifest;
  manifest.vendor_id = "acme";
  manifest.class_id = "gateway";
  manifest.version = "3.0.0";
  manifest.sequence = 9;
  manifest.image.digest = std::string(64, '0');
  manifest.image.size = 4096;
  manifest.image.uri = "https://updates.example/v3.bin";
  manifest.issued = "2026-11-28T06:00:00Z";
  manifest.expires = "2026-11-29T06:00:00Z";
  return manifest;
}

c::PrivateKey Key(c::KeyAlg alg) {
  auto key = c::PrivateKey::Generate(alg);
  BOOST_REQUIRE(key.ok());
  return *key;
}

// A vendor with one Ed25519 and one ECDSA key; devices trust both.
struct Fixture {
  Fixture()
      : ed(Key(c::KeyAlg::kEd25519)),
        ec(Key(c::KeyAlg::kEcdsaP256)),
        rogue(Key(c::KeyAlg::kEd25519)),
        anchors{ed.Public(), ec.Public()} {}

  m::Envelope SignWith(std::vector<c::PrivateKey> keys, const m::Manifest& manifest = Sample()) {
    auto envelope = m::Sign(manifest, keys);
    BOOST_REQUIRE(envelope.ok());
    return envelope.value();
  }

  void ExpectFailure(const m::Envelope& envelope, m::Failure failure, const std::string& detail_part = "") {
    auto r = m::Verify(envelope, anchors);
    BOOST_REQUIRE_MESSAGE(!r.ok(), "verified but should fail with " << m::FailureName(failure));
    BOOST_TEST((r.error().failure == failure), "got " << m::FailureName(r.error().failure) << ": " << r.error().detail);
    if (!detail_part.empty()) {
      BOOST_TEST(r.error().detail.find(detail_part) != std::string::npos, r.error().detail);
    }
    // The same answer through the JSON path a device uses.
    auto again = m::ParseAndVerify(m::ToJson(envelope), anchors);
    BOOST_REQUIRE(!again.ok());
    BOOST_TEST((again.error().failure == failure));
  }

  c::PrivateKey ed;
  c::PrivateKey ec;
  c::PrivateKey rogue;
  std::vector<c::PublicKey> anchors;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(verify_tests, Fixture)

BOOST_AUTO_TEST_CASE(valid_signatures_verify) {
  for (const auto& keys : std::vector<std::vector<c::PrivateKey>>{{ed}, {ec}, {ed, ec}, {ec, ed}}) {
    const m::Envelope envelope = SignWith(keys);
    BOOST_TEST(envelope.signatures.size() == keys.size());
    BOOST_TEST(envelope.signatures[0].keyid == keys[0].Public().KeyId());
    BOOST_TEST(envelope.signatures[0].alg == std::string(c::KeyAlgName(keys[0].alg())));
    auto r = m::ParseAndVerify(m::ToJson(envelope), anchors);
    BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().detail));
    BOOST_TEST(r.value().sequence == 9u);
    BOOST_TEST(r.value().image.uri == "https://updates.example/v3.bin");
  }
}

BOOST_AUTO_TEST_CASE(signed_bytes_are_the_manifest_json) {
  const m::Envelope envelope = SignWith({ed});
  BOOST_TEST(envelope.signed_bytes == m::ToJson(Sample()));
  BOOST_TEST(ed.Public().Verify(c::AsBytes(envelope.signed_bytes), envelope.signatures[0].sig).ok());
}

BOOST_AUTO_TEST_CASE(edited_signed_bytes_fail) {
  for (const auto& key : {ed, ec}) {
    m::Envelope envelope = SignWith({key});
    const std::string from = "\"sequence\":9";
    envelope.signed_bytes.replace(envelope.signed_bytes.find(from), from.size(), "\"sequence\":10");
    ExpectFailure(envelope, m::Failure::kBadSignature, "signatures[0]");
  }
}

BOOST_AUTO_TEST_CASE(corrupted_signature_fails) {
  m::Envelope envelope = SignWith({ec});
  envelope.signatures[0].sig[5] ^= 0x40;
  ExpectFailure(envelope, m::Failure::kBadSignature);
  envelope.signatures[0].sig = {};
  ExpectFailure(envelope, m::Failure::kBadSignature);
  envelope.signatures[0].sig = c::Bytes(5000, 0x30);
  ExpectFailure(envelope, m::Failure::kBadSignature);
}

BOOST_AUTO_TEST_CASE(one_bad_trusted_signature_spoils_a_good_one) {
  m::Envelope envelope = SignWith({ed, ec});
  envelope.signatures[1].sig[3] ^= 1;
  ExpectFailure(envelope, m::Failure::kBadSignature, "signatures[1]");
}

BOOST_AUTO_TEST_CASE(rogue_key_is_unknown) {
  ExpectFailure(SignWith({rogue}), m::Failure::kUnknownKey);
  // A rogue signature that claims a trusted key id does not verify under that key.
  m::Envelope envelope = SignWith({rogue});
  envelope.signatures[0].keyid = ed.Public().KeyId();
  ExpectFailure(envelope, m::Failure::kBadSignature);
}

BOOST_AUTO_TEST_CASE(extra_unknown_signatures_are_ignored) {
  const m::Envelope envelope = SignWith({rogue, ed});
  BOOST_TEST(m::Verify(envelope, anchors).ok());
}

BOOST_AUTO_TEST_CASE(no_trust_anchors_means_unknown_key) {
  auto r = m::Verify(SignWith({ed}), {});
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST((r.error().failure == m::Failure::kUnknownKey));
}

BOOST_AUTO_TEST_CASE(stripped_signatures_fail) {
  m::Envelope envelope = SignWith({ed, ec});
  envelope.signatures.clear();
  ExpectFailure(envelope, m::Failure::kNoSignature);
  auto r = m::Verify(envelope, anchors);
  BOOST_TEST((r.error().ToError().code() == otasim::Errc::kSignature));
  BOOST_TEST(r.error().ToError().message().rfind("no-signature: ", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(unknown_alg_is_unsupported) {
  m::Envelope envelope = SignWith({ed});
  envelope.signatures[0].alg = "rsa-pkcs1-sha1";
  ExpectFailure(envelope, m::Failure::kUnsupportedAlg, "rsa-pkcs1-sha1");
  envelope.signatures[0].alg = "none";
  ExpectFailure(envelope, m::Failure::kUnsupportedAlg);
}

BOOST_AUTO_TEST_CASE(alg_mismatch_is_unsupported) {
  m::Envelope envelope = SignWith({ed});
  envelope.signatures[0].alg = "ecdsa-p256-sha256";
  ExpectFailure(envelope, m::Failure::kUnsupportedAlg, "does not match");
}

BOOST_AUTO_TEST_CASE(signed_but_malformed_manifest_is_refused) {
  // The vendor key signs anything: a signature does not make bad content acceptable.
  Json json = Json::parse(m::ToJson(Sample()));
  json["sequence"] = -1;
  auto envelope = m::SignBytes(json.dump(), std::vector<c::PrivateKey>{ed});
  BOOST_REQUIRE(envelope.ok());
  ExpectFailure(envelope.value(), m::Failure::kMalformed, "sequence");

  json = Json::parse(m::ToJson(Sample()));
  json["format"] = "other/1";
  auto other = m::SignBytes(json.dump(), std::vector<c::PrivateKey>{ec});
  BOOST_REQUIRE(other.ok());
  ExpectFailure(other.value(), m::Failure::kBadFormat);
}

BOOST_AUTO_TEST_CASE(oversize_envelope_is_refused) {
  m::Envelope envelope = SignWith({ed});
  for (int i = 0; i < 2000; ++i) envelope.signatures.push_back(envelope.signatures[0]);
  const std::string text = m::ToJson(envelope);
  BOOST_REQUIRE(text.size() > m::kMaxEnvelopeBytes);
  auto r = m::ParseAndVerify(text, anchors);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST((r.error().failure == m::Failure::kMalformed));
}

BOOST_AUTO_TEST_CASE(garbage_json_never_throws) {
  for (const std::string text : {"", "{", "null", "{\"signed\":null}", "\xff\xfe", "{\"signatures\":[null]}",
                                 "{\"signed\":\"\",\"signatures\":[{\"keyid\":[],\"alg\":{},\"sig\":1}]}"}) {
    auto r = m::ParseAndVerify(text, anchors);
    BOOST_TEST(!r.ok());
  }
}

BOOST_AUTO_TEST_SUITE_END()
