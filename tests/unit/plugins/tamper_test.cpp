#define BOOST_TEST_MODULE attack_tamper
#include <boost/test/unit_test.hpp>

#include <bit>

#include <nlohmann/json.hpp>

#include "otasim/manifest.hpp"
#include "support/plugins_fake_env.hpp"

using otasim::testing::Drain;
using otasim::testing::FakeEnv;
using otasim::testing::MakeImageDelivery;
using otasim::testing::PluginCatalog;
namespace crypto = otasim::crypto;
namespace manifest = otasim::manifest;

namespace {

constexpr std::uint64_t kSize = 4000;

struct Fixture {
  Fixture() {
    env.AddRelease({.name = "v1", .version = "1.0.0", .sequence = 1, .size = kSize});
    env.AddRelease({.name = "v2", .version = "2.0.0", .sequence = 2, .size = kSize});
    env.Publish("v2");
  }

  std::unique_ptr<otasim::Attacker> Make(const std::map<std::string, std::string>& raw) {
    auto attacker = PluginCatalog::Get().MakeAttacker("attack.tamper", raw);
    BOOST_REQUIRE_MESSAGE(attacker.ok(), (attacker.ok() ? "" : attacker.error().What()));
    auto prepared = (*attacker)->Prepare(env);
    BOOST_REQUIRE_MESSAGE(prepared.ok(), (prepared.ok() ? "" : prepared.error().What()));
    return std::move(attacker).value();
  }

  // The published envelope through the attacker.
  std::string Tampered(const std::map<std::string, std::string>& raw) {
    auto attacker = Make(raw);
    otasim::ManifestDelivery delivery{env.PublishedRelease()->envelope};
    auto status = attacker->OnManifest(env, {}, delivery);
    BOOST_REQUIRE_MESSAGE(status.ok(), (status.ok() ? "" : status.error().What()));
    return delivery.envelope;
  }

  // The image bytes a response starting at `offset` carries through the attacker.
  std::string Image(const std::map<std::string, std::string>& raw, const std::string& release,
                    std::uint64_t offset = 0) {
    auto attacker = Make(raw);
    auto delivery = MakeImageDelivery(*env.FindRelease(release), offset);
    BOOST_REQUIRE(attacker->OnImage(env, {}, delivery).ok());
    auto bytes = Drain(*delivery.source);
    BOOST_REQUIRE(bytes.ok());
    return *bytes;
  }

  // Offsets where two equally long byte strings differ, and the XOR there.
  static std::vector<std::pair<std::size_t, unsigned>> Diff(const std::string& a,
                                                             const std::string& b) {
    BOOST_REQUIRE_EQUAL(a.size(), b.size());
    std::vector<std::pair<std::size_t, unsigned>> diffs;
    for (std::size_t i = 0; i < a.size(); ++i) {
      unsigned x = static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]);
      if (x != 0) diffs.emplace_back(i, x);
    }
    return diffs;
  }

  static nlohmann::json SignedManifest(const nlohmann::json& envelope) {
    auto bytes = crypto::Base64Decode(envelope["signed"].get<std::string>());
    BOOST_REQUIRE(bytes.ok());
    return nlohmann::json::parse(bytes->begin(), bytes->end());
  }

  bool VerifiesWith(const std::string& envelope, const crypto::PublicKey& key) {
    return manifest::ParseAndVerify(envelope, std::span(&key, 1)).ok();
  }

  FakeEnv env;
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(bit_flip_changes_exactly_one_bit_at_the_percentage, Fixture) {
  std::string original = env.ImageBytes("v2");
  for (auto [at, position] : std::vector<std::pair<std::string, std::size_t>>{
           {"50", 2000}, {"0", 0}, {"12.5", 500}, {"100", kSize - 1}}) {
    auto diffs = Diff(original, Image({{"mode", "image-bit-flip"}, {"at", at}}, "v2"));
    BOOST_REQUIRE_EQUAL(diffs.size(), 1u);
    BOOST_TEST(diffs[0].first == position, "at=" << at);
    BOOST_TEST(std::popcount(diffs[0].second) == 1);
  }
  auto events = env.Events("attacker", "tamper");
  BOOST_REQUIRE(!events.empty());
  BOOST_TEST(events[0]["image_offset"].get<std::uint64_t>() == 2000u);
}

BOOST_FIXTURE_TEST_CASE(bit_flip_respects_the_range_offset, Fixture) {
  std::string original = env.ImageBytes("v2");
  auto diffs = Diff(original.substr(1500), Image({{"mode", "image-bit-flip"}}, "v2", 1500));
  BOOST_REQUIRE_EQUAL(diffs.size(), 1u);
  BOOST_TEST(diffs[0].first == 2000u - 1500u);

  // A resumed download that starts after the flipped byte is untouched.
  BOOST_TEST(Image({{"mode", "image-bit-flip"}}, "v2", 2001) == original.substr(2001));
  BOOST_TEST(env.Events("attacker", "tamper").back()["flipped"] == false);
}

BOOST_FIXTURE_TEST_CASE(bit_flip_limited_to_the_named_release, Fixture) {
  BOOST_TEST(Image({{"mode", "image-bit-flip"}, {"release", "v1"}}, "v2") == env.ImageBytes("v2"));
  BOOST_TEST(Image({{"mode", "image-bit-flip"}, {"release", "v1"}}, "v1") != env.ImageBytes("v1"));
}

BOOST_FIXTURE_TEST_CASE(bit_flip_leaves_the_manifest_alone, Fixture) {
  BOOST_TEST(Tampered({{"mode", "image-bit-flip"}}) == env.PublishedRelease()->envelope);
}

BOOST_FIXTURE_TEST_CASE(manifest_field_edit_keeps_the_original_signature, Fixture) {
  auto original = nlohmann::json::parse(env.PublishedRelease()->envelope);
  auto tampered = nlohmann::json::parse(
      Tampered({{"mode", "manifest-field"}, {"field", "sequence"}, {"value", "99"}}));
  BOOST_TEST(tampered["signatures"] == original["signatures"]);
  auto edited = SignedManifest(tampered);
  auto before = SignedManifest(original);
  BOOST_TEST(edited["sequence"] == 99);
  edited["sequence"] = before["sequence"];
  BOOST_TEST(edited == before);  // nothing else changed
  BOOST_TEST(!VerifiesWith(tampered.dump(), env.vendor_key().Public()));
  BOOST_TEST(VerifiesWith(original.dump(), env.vendor_key().Public()));
}

BOOST_FIXTURE_TEST_CASE(manifest_field_values_are_json_or_strings, Fixture) {
  auto edit = [&](const std::string& field, const std::string& value) {
    return SignedManifest(nlohmann::json::parse(
        Tampered({{"mode", "manifest-field"}, {"field", field}, {"value", value}})));
  };
  BOOST_TEST(edit("image.size", "1")["image"]["size"] == 1);
  BOOST_TEST(edit("image.size", "1")["image"]["digest"] ==
             env.PublishedRelease()->manifest.image.digest);
  BOOST_TEST(edit("class_id", "otasim-class-b")["class_id"] == "otasim-class-b");
  BOOST_TEST(edit("expires", "2020-01-01T00:00:00Z")["expires"] == "2020-01-01T00:00:00Z");
  BOOST_TEST(edit("class_id", "\"quoted\"")["class_id"] == "quoted");
  BOOST_TEST(edit("debug", "true")["debug"] == true);
  BOOST_TEST(edit("extra.nested", "{\"a\":1}")["extra"]["nested"]["a"] == 1);
}

BOOST_FIXTURE_TEST_CASE(manifest_field_of_a_named_release, Fixture) {
  auto tampered = nlohmann::json::parse(Tampered(
      {{"mode", "manifest-field"}, {"field", "sequence"}, {"value", "7"}, {"release", "v1"}}));
  auto edited = SignedManifest(tampered);
  BOOST_TEST(edited["version"] == "1.0.0");
  BOOST_TEST(edited["sequence"] == 7);
}

BOOST_FIXTURE_TEST_CASE(strip_signature_empties_the_list, Fixture) {
  auto original = nlohmann::json::parse(env.PublishedRelease()->envelope);
  auto tampered = nlohmann::json::parse(Tampered({{"mode", "strip-signature"}}));
  BOOST_TEST(tampered["signatures"] == nlohmann::json::array());
  BOOST_TEST(tampered["signed"] == original["signed"]);
  BOOST_TEST(!VerifiesWith(tampered.dump(), env.vendor_key().Public()));
}

BOOST_FIXTURE_TEST_CASE(corrupt_signature_flips_one_bit, Fixture) {
  auto original = nlohmann::json::parse(env.PublishedRelease()->envelope);
  auto tampered = nlohmann::json::parse(Tampered({{"mode", "corrupt-signature"}}));
  BOOST_TEST(tampered["signed"] == original["signed"]);
  BOOST_TEST(tampered["signatures"][0]["keyid"] == original["signatures"][0]["keyid"]);
  auto a = crypto::Base64Decode(original["signatures"][0]["sig"].get<std::string>());
  auto b = crypto::Base64Decode(tampered["signatures"][0]["sig"].get<std::string>());
  BOOST_REQUIRE(a.ok() && b.ok());
  auto diffs = Diff(std::string(a->begin(), a->end()), std::string(b->begin(), b->end()));
  BOOST_REQUIRE_EQUAL(diffs.size(), 1u);
  BOOST_TEST(std::popcount(diffs[0].second) == 1);
  const crypto::PublicKey vendor = env.vendor_key().Public();
  auto verified = manifest::ParseAndVerify(tampered.dump(), std::span(&vendor, 1));
  BOOST_REQUIRE(!verified.ok());
  BOOST_TEST(manifest::FailureName(verified.error().failure) ==
             manifest::FailureName(manifest::Failure::kBadSignature));
}

BOOST_FIXTURE_TEST_CASE(rogue_key_signature_verifies_only_with_the_rogue_key, Fixture) {
  std::string tampered = Tampered({{"mode", "rogue-key"}});
  auto rogue = env.RogueSigningKey();
  BOOST_REQUIRE(rogue.ok());
  BOOST_TEST(VerifiesWith(tampered, rogue->Public()));
  BOOST_TEST(!VerifiesWith(tampered, env.vendor_key().Public()));
  auto envelope = nlohmann::json::parse(tampered);
  BOOST_REQUIRE_EQUAL(envelope["signatures"].size(), 1u);
  BOOST_TEST(envelope["signatures"][0]["keyid"] == rogue->Public().KeyId());
  auto original = nlohmann::json::parse(env.PublishedRelease()->envelope);
  BOOST_TEST(envelope["signed"] == original["signed"]);
}

BOOST_FIXTURE_TEST_CASE(rogue_key_with_an_edited_field, Fixture) {
  std::string tampered =
      Tampered({{"mode", "rogue-key"}, {"field", "sequence"}, {"value", "1000"}});
  auto rogue = env.RogueSigningKey();
  BOOST_REQUIRE(rogue.ok());
  const crypto::PublicKey rogue_public = rogue->Public();
  auto verified = manifest::ParseAndVerify(tampered, std::span(&rogue_public, 1));
  BOOST_REQUIRE(verified.ok());
  BOOST_TEST(verified.value().sequence == 1000u);
  BOOST_TEST(!VerifiesWith(tampered, env.vendor_key().Public()));
}

BOOST_FIXTURE_TEST_CASE(incomplete_edits_are_errors, Fixture) {
  for (auto raw : std::vector<std::map<std::string, std::string>>{
           {{"mode", "manifest-field"}},
           {{"mode", "manifest-field"}, {"field", "sequence"}},
           {{"mode", "rogue-key"}, {"field", "sequence"}},
           {{"mode", "strip-signature"}, {"release", "v9"}}}) {
    auto attacker = PluginCatalog::Get().MakeAttacker("attack.tamper", raw);
    BOOST_REQUIRE(attacker.ok());
    BOOST_TEST(!(*attacker)->Prepare(env).ok());
    otasim::ManifestDelivery delivery{env.PublishedRelease()->envelope};
    BOOST_TEST(!(*attacker)->OnManifest(env, {}, delivery).ok());
  }
}

BOOST_AUTO_TEST_CASE(nothing_to_tamper_with_is_an_error) {
  FakeEnv env;
  auto attacker = PluginCatalog::Get().MakeAttacker("attack.tamper", {{"mode", "strip-signature"}});
  BOOST_REQUIRE(attacker.ok());
  otasim::ManifestDelivery delivery{""};
  BOOST_TEST(!(*attacker)->OnManifest(env, {}, delivery).ok());
  delivery.envelope = "not json";
  BOOST_TEST(!(*attacker)->OnManifest(env, {}, delivery).ok());
}

BOOST_AUTO_TEST_CASE(bad_params_are_rejected) {
  const auto& catalog = PluginCatalog::Get();
  BOOST_TEST(!catalog.Bind("attack.tamper", {}).ok());
  BOOST_TEST(!catalog.Bind("attack.tamper", {{"mode", "bit-flip"}}).ok());
  BOOST_TEST(!catalog.Bind("attack.tamper", {{"mode", "image-bit-flip"}, {"at", "150"}}).ok());
  BOOST_TEST(!catalog.Bind("attack.tamper", {{"mode", "image-bit-flip"}, {"at", "half"}}).ok());
  BOOST_TEST(catalog.Bind("attack.tamper", {{"mode", "image-bit-flip"}, {"at", "25%"}}).ok());
}
