#define BOOST_TEST_MODULE root_document
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "otasim/root_document.hpp"

namespace m = otasim::manifest;
namespace c = otasim::crypto;
using Json = nlohmann::json;

namespace {

const otasim::SysTime kNow = *otasim::ParseRfc3339("2026-11-28T06:00:00Z");

c::PrivateKey Key(c::KeyAlg alg = c::KeyAlg::kEd25519) {
  auto key = c::PrivateKey::Generate(alg);
  BOOST_REQUIRE(key.ok());
  return *key;
}

m::Root MakeRoot(std::uint64_t version, const std::vector<const c::PrivateKey*>& keys,
                 std::uint64_t threshold = 1, std::string expires = "2027-11-28T06:00:00Z") {
  m::Root root;
  root.version = version;
  root.expires = std::move(expires);
  root.threshold = threshold;
  for (const auto* key : keys) root.keys.push_back(m::MakeRootKey(key->Public()));
  return root;
}

std::string Sign(const m::Root& root, const std::vector<const c::PrivateKey*>& signers) {
  std::vector<c::PrivateKey> keys;
  for (const auto* key : signers) keys.push_back(*key);
  auto document = m::SignRoot(root, keys);
  BOOST_REQUIRE(document.ok());
  return *document;
}

m::Manifest Sample() {
  m::Manifest manifest;
  manifest.vendor_id = "acme";
  manifest.class_id = "gateway";
  manifest.version = "2.0.0";
  manifest.sequence = 2;
  manifest.image = {std::string(64, 'a'), 4096, "images/v2.bin"};
  manifest.issued = "2026-11-28T05:00:00Z";
  manifest.expires = "2026-12-28T06:00:00Z";
  return manifest;
}

m::Envelope SignManifest(const std::vector<const c::PrivateKey*>& signers) {
  std::vector<c::PrivateKey> keys;
  for (const auto* key : signers) keys.push_back(*key);
  auto envelope = m::Sign(Sample(), keys);
  BOOST_REQUIRE(envelope.ok());
  return *envelope;
}

// A vendor whose root v1 lists `old_key`; v2 replaces it with `new_key` (old_key is revoked).
struct Fixture {
  c::PrivateKey old_key = Key();
  c::PrivateKey new_key = Key(c::KeyAlg::kEcdsaP256);
  c::PrivateKey third = Key();
  c::PrivateKey rogue = Key();
  std::string v1 = Sign(MakeRoot(1, {&old_key}), {&old_key});

  m::RootChain Chain() {
    auto chain = m::RootChain::FromProvisioned(v1);
    BOOST_REQUIRE_MESSAGE(chain.ok(), (chain.ok() ? "" : chain.error().detail));
    return chain.value();
  }

  static void ExpectRefused(const m::ManifestResult<bool>& r, m::Failure failure,
                            const std::string& detail_part) {
    BOOST_REQUIRE_MESSAGE(!r.ok(), "applied but should fail with " << m::FailureName(failure));
    BOOST_TEST((r.error().failure == failure),
               "got " << m::FailureName(r.error().failure) << ": " << r.error().detail);
    BOOST_TEST(r.error().detail.find(detail_part) != std::string::npos, r.error().detail);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(root_chain, Fixture)

BOOST_AUTO_TEST_CASE(round_trip_is_stable) {
  const m::Root root = MakeRoot(3, {&old_key, &new_key}, 2);
  auto parsed = m::ParseRoot(m::ToJson(root));
  BOOST_REQUIRE(parsed.ok());
  BOOST_TEST(m::ToJson(parsed.value()) == m::ToJson(root));
  BOOST_TEST(parsed.value().keys.at(1).alg == "ecdsa-p256-sha256");
}

BOOST_AUTO_TEST_CASE(provisioned_root_verifies_its_own_manifests) {
  const m::RootChain chain = Chain();
  BOOST_TEST(chain.current().root.version == 1u);
  BOOST_TEST(chain.VerifyManifest(SignManifest({&old_key})).ok());
  auto by_new = chain.VerifyManifest(SignManifest({&new_key}));
  BOOST_REQUIRE(!by_new.ok());
  BOOST_TEST((by_new.error().failure == m::Failure::kUnknownKey));
}

BOOST_AUTO_TEST_CASE(provisioned_root_must_be_signed_by_its_own_keys) {
  auto chain = m::RootChain::FromProvisioned(Sign(MakeRoot(1, {&old_key}), {&rogue}));
  BOOST_REQUIRE(!chain.ok());
  BOOST_TEST((chain.error().failure == m::Failure::kUnknownKey));
}

BOOST_AUTO_TEST_CASE(rotation_moves_trust_and_revokes_the_dropped_key) {
  m::RootChain chain = Chain();
  const std::string v2 = Sign(MakeRoot(2, {&new_key}), {&old_key, &new_key});
  auto applied = chain.Apply(v2, kNow);
  BOOST_REQUIRE_MESSAGE(applied.ok(), (applied.ok() ? "" : applied.error().detail));
  BOOST_TEST(applied.value());
  BOOST_TEST(chain.current().root.version == 2u);
  BOOST_TEST(chain.roots().size() == 2u);
  BOOST_TEST(chain.VerifyManifest(SignManifest({&new_key})).ok());
  auto revoked = chain.VerifyManifest(SignManifest({&old_key}));
  BOOST_REQUIRE(!revoked.ok());
  BOOST_TEST((revoked.error().failure == m::Failure::kUnknownKey));
  BOOST_TEST(revoked.error().detail.find("root v2") != std::string::npos, revoked.error().detail);

  // Offering the same root again (every later envelope may carry it) changes nothing.
  auto again = chain.Apply(v2, kNow);
  BOOST_REQUIRE(again.ok());
  BOOST_TEST(!again.value());
  BOOST_TEST(chain.roots().size() == 2u);
}

BOOST_AUTO_TEST_CASE(unsigned_root_is_refused) {
  // Signed only by its own new key: nothing the device trusts authorised it.
  m::RootChain chain = Chain();
  ExpectRefused(chain.Apply(Sign(MakeRoot(2, {&rogue}), {&rogue}), kNow), m::Failure::kUnknownKey,
                "by root v1 keys");
  BOOST_TEST(chain.current().root.version == 1u);
  BOOST_TEST(chain.VerifyManifest(SignManifest({&old_key})).ok());
}

BOOST_AUTO_TEST_CASE(new_keys_must_sign_their_own_root) {
  // Authorised by the old key, but nobody proved they hold the new one.
  m::RootChain chain = Chain();
  ExpectRefused(chain.Apply(Sign(MakeRoot(2, {&new_key}), {&old_key}), kNow),
                m::Failure::kUnknownKey, "by its own keys");
  BOOST_TEST(chain.current().root.version == 1u);
}

BOOST_AUTO_TEST_CASE(version_gap_is_refused) {
  m::RootChain chain = Chain();
  ExpectRefused(chain.Apply(Sign(MakeRoot(3, {&new_key}), {&old_key, &new_key}), kNow),
                m::Failure::kUnknownKey, "one version at a time");
  BOOST_TEST(chain.current().root.version == 1u);
}

BOOST_AUTO_TEST_CASE(expired_root_is_refused) {
  m::RootChain chain = Chain();
  const std::string v2 =
      Sign(MakeRoot(2, {&new_key}, 1, "2026-11-28T05:59:59Z"), {&old_key, &new_key});
  ExpectRefused(chain.Apply(v2, kNow), m::Failure::kUnknownKey, "expired");
  BOOST_TEST(chain.current().root.version == 1u);
}

BOOST_AUTO_TEST_CASE(threshold_is_counted_in_distinct_keys) {
  // Root v1 needs 2 of 3 keys for anything.
  const std::string v1_two = Sign(MakeRoot(1, {&old_key, &new_key, &third}, 2), {&old_key, &third});
  auto chain = m::RootChain::FromProvisioned(v1_two);
  BOOST_REQUIRE_MESSAGE(chain.ok(), (chain.ok() ? "" : chain.error().detail));
  BOOST_TEST(chain.value().VerifyManifest(SignManifest({&old_key, &new_key})).ok());
  auto one = chain.value().VerifyManifest(SignManifest({&old_key}));
  BOOST_REQUIRE(!one.ok());
  BOOST_TEST(one.error().detail.find("1 of the 2") != std::string::npos, one.error().detail);
  // The same key twice is still one key.
  m::Envelope twice = SignManifest({&old_key, &old_key});
  BOOST_TEST(!chain.value().VerifyManifest(twice).ok());
  // A rotation signed by only one of the current keys is refused.
  ExpectRefused(chain.value().Apply(Sign(MakeRoot(2, {&rogue}), {&third, &rogue}), kNow),
                m::Failure::kUnknownKey, "1 of the 2");
  BOOST_TEST(chain.value().current().root.version == 1u);
}

BOOST_AUTO_TEST_CASE(weak_or_confused_algorithms_fail_closed) {
  const m::RootChain chain = Chain();
  // "none" carries an empty signature, claiming the trusted key; "ecdsa-p256-sha256" is a
  // mismatch with the Ed25519 key.
  for (const char* alg : {"none", "rsa-pkcs1-sha1", "hmac-sha256", "ecdsa-p256-sha256"}) {
    m::Envelope envelope = SignManifest({&old_key});
    envelope.signatures[0].alg = alg;
    if (std::string(alg) == "none") envelope.signatures[0].sig.clear();
    auto r = chain.VerifyManifest(envelope);
    BOOST_REQUIRE_MESSAGE(!r.ok(), alg);
    BOOST_TEST((r.error().failure == m::Failure::kUnsupportedAlg),
               alg << ": " << m::FailureName(r.error().failure));
    // The same through the plain single-key Verify.
    auto plain = m::Verify(envelope, std::vector<c::PublicKey>{old_key.Public()});
    BOOST_REQUIRE(!plain.ok());
    BOOST_TEST((plain.error().failure == m::Failure::kUnsupportedAlg), alg);
  }
  // No signature at all is its own failure.
  m::Envelope empty = SignManifest({&old_key});
  empty.signatures.clear();
  BOOST_TEST((chain.VerifyManifest(empty).error().failure == m::Failure::kNoSignature));
}

BOOST_AUTO_TEST_CASE(root_keys_must_match_their_ids_and_algs) {
  m::Root root = MakeRoot(1, {&old_key});
  Json json = Json::parse(m::ToJson(root));
  json["keys"][0]["keyid"] = new_key.Public().KeyId();
  auto wrong_id = m::ParseRoot(json.dump());
  BOOST_REQUIRE(!wrong_id.ok());
  BOOST_TEST(wrong_id.error().detail.find("keys[0].keyid") != std::string::npos);

  json = Json::parse(m::ToJson(root));
  json["keys"][0]["alg"] = "ecdsa-p256-sha256";  // an Ed25519 key
  auto wrong_alg = m::ParseRoot(json.dump());
  BOOST_REQUIRE(!wrong_alg.ok());
  BOOST_TEST((wrong_alg.error().failure == m::Failure::kUnsupportedAlg));

  json = Json::parse(m::ToJson(root));
  json["threshold"] = 2;
  BOOST_TEST(!m::ParseRoot(json.dump()).ok());
  json["threshold"] = 0;
  BOOST_TEST(!m::ParseRoot(json.dump()).ok());

  json = Json::parse(m::ToJson(root));
  json["extra"] = 1;
  auto unknown = m::ParseRoot(json.dump());
  BOOST_REQUIRE(!unknown.ok());
  BOOST_TEST(unknown.error().detail.find("extra: unknown field") != std::string::npos);

  json = Json::parse(m::ToJson(root));
  json["format"] = "otasim-root/2";
  BOOST_TEST((m::ParseRoot(json.dump()).error().failure == m::Failure::kBadFormat));
}

BOOST_AUTO_TEST_CASE(envelope_carries_root_updates_and_keys) {
  m::Envelope envelope = SignManifest({&new_key});
  envelope.root_updates = {Sign(MakeRoot(2, {&new_key}), {&old_key, &new_key})};
  envelope.keys = {rogue.Public().ToPem()};
  const std::string text = m::ToJson(envelope);
  auto parsed = m::ParseEnvelope(text);
  BOOST_REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? "" : parsed.error().detail));
  BOOST_REQUIRE(parsed.value().root_updates.size() == 1u);
  BOOST_TEST(parsed.value().keys == envelope.keys);
  // The carried root still applies after the round trip.
  m::RootChain chain = Chain();
  auto applied = chain.Apply(parsed.value().root_updates[0], kNow);
  BOOST_REQUIRE_MESSAGE(applied.ok(), (applied.ok() ? "" : applied.error().detail));
  BOOST_TEST(chain.VerifyManifest(parsed.value()).ok());

  // Without them the envelope has no such fields at all.
  m::Envelope plain = SignManifest({&old_key});
  BOOST_TEST(m::ToJson(plain).find("root_updates") == std::string::npos);
  BOOST_TEST(m::ToJson(plain).find("keys") == std::string::npos);

  // Strict: wrong types are refused by name.
  Json json = Json::parse(text);
  json["keys"] = Json::array({1});
  BOOST_TEST(m::ParseEnvelope(json.dump()).error().detail.find("keys[0]") != std::string::npos);
  json = Json::parse(text);
  json["root_updates"] = "x";
  BOOST_TEST(m::ParseEnvelope(json.dump()).error().detail.find("root_updates") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
