#define BOOST_TEST_MODULE reference_device_keys
#include <boost/test/unit_test.hpp>

// The reference device's root of trust (root documents: rotation, revocation), its refusal of
// in-band keys and weak algorithms, its client identity and its boot self-test, each with the
// flaw that removes the defence. The real otasim-device against a real HTTPS server.

#include "device_harness.hpp"
#include "otasim/root_document.hpp"

using namespace device_test;

namespace {

crypto::PrivateKey NewKey() {
  return Must(crypto::PrivateKey::Generate(crypto::KeyAlg::kEd25519), "key");
}

// A root of `keys` (threshold 1), signed by `signers`.
std::string RootDocument(std::uint64_t version, const std::vector<const crypto::PrivateKey*>& keys,
                         const std::vector<const crypto::PrivateKey*>& signers) {
  manifest::Root root;
  root.version = version;
  root.expires = "2027-11-28T06:00:00Z";
  for (const auto* key : keys) root.keys.push_back(manifest::MakeRootKey(key->Public()));
  std::vector<crypto::PrivateKey> signing;
  for (const auto* key : signers) signing.push_back(*key);
  return Must(manifest::SignRoot(root, signing), "sign root");
}

// The release as served, its envelope edited (the signed bytes untouched unless re-signed).
Release Edited(Release release, const std::function<void(manifest::Envelope&)>& edit) {
  auto envelope = manifest::ParseEnvelope(release.envelope);
  BOOST_REQUIRE(envelope.ok());
  edit(envelope.value());
  release.envelope = manifest::ToJson(envelope.value());
  return release;
}

// A device anchored by root v1 (key `old_key`), releases signed by whichever key a test picks.
struct RootFixture : DeviceFixture {
  crypto::PrivateKey old_key = NewKey();
  crypto::PrivateKey new_key = NewKey();
  Release r1, r2_new, r3_old;
  std::string root2;

  RootFixture() {
    WriteText(root() / "root.json", RootDocument(1, {&old_key}, {&old_key}));
    root2 = RootDocument(2, {&new_key}, {&old_key, &new_key});
    ReleaseOptions by_old, by_new;
    by_old.key = &old_key;
    by_new.key = &new_key;
    r1 = MakeRelease("r1", "1.0.0", 1, RandomBytes(kImageBytes, 11), by_old);
    r2_new = MakeRelease("r2", "2.0.0", 2, RandomBytes(kImageBytes, 12), by_new);
    r3_old = MakeRelease("r3", "3.0.0", 3, RandomBytes(kImageBytes, 13), by_old);
    Config()["trust_anchors"] = {(root() / "root.json").string()};
    SaveConfig();
  }

  Release WithRoot(const Release& release, const std::string& document) {
    return Edited(release, [&](manifest::Envelope& e) { e.root_updates = {document}; });
  }

  std::string Reason(const std::string& flaws = "") {
    return State(flaws)["last_reason"].get<std::string>();
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(root_of_trust, RootFixture)

BOOST_AUTO_TEST_CASE(rotation_is_applied_and_the_dropped_key_is_revoked) {
  Provision(r1);
  Offer(r2_new);  // signed by a key the device does not know yet
  BOOST_TEST(Device("check").exit_code == 20);
  BOOST_TEST(!fs::exists(state_dir() / "trust/root-2.json"));

  Offer(WithRoot(r2_new, root2));
  const auto rotated = Device("check");
  BOOST_TEST(rotated.exit_code == 0);
  BOOST_TEST(rotated.err.find("root v2 applied") != std::string::npos, rotated.err);
  BOOST_TEST(fs::exists(state_dir() / "trust/root-2.json"));
  BOOST_TEST(fs::exists(state_dir() / "trust/root-1.json"));  // history kept

  Offer(r3_old);  // the revoked key
  BOOST_TEST(Device("check").exit_code == 20);
  BOOST_TEST(Reason() == "signature");
  const json state = State();
  BOOST_TEST(state["running"]["version"].get<std::string>() == "2.0.0");
  // Slot A's factory image was signed under root v1: it still verifies as the fallback.
  BOOST_TEST(state["slots"][0]["valid"].get<bool>());
  BOOST_TEST(Device("boot").exit_code == 0);
}

BOOST_AUTO_TEST_CASE(flaw_accept_revoked_key_installs_under_the_old_key) {
  const std::string flaws = "accept-revoked-key";
  Provision(r1, flaws);
  Offer(WithRoot(r2_new, root2));
  BOOST_TEST(Device("check", flaws).exit_code == 0);
  Offer(r3_old);
  BOOST_TEST(Device("check", flaws).exit_code == 0);
  BOOST_TEST(State(flaws)["running"]["version"].get<std::string>() == "3.0.0");
}

BOOST_AUTO_TEST_CASE(unauthorised_roots_are_refused_and_not_stored) {
  Provision(r1);
  const crypto::PrivateKey& rogue = rogue_key();
  ReleaseOptions by_rogue;
  by_rogue.key = &rogue;
  const Release evil = MakeRelease("evil", "9.0.0", 9, RandomBytes(kImageBytes, 99), by_rogue);
  // Signed only by its own key.
  Offer(WithRoot(evil, RootDocument(2, {&rogue}, {&rogue})));
  BOOST_TEST(Device("check").exit_code == 20);
  BOOST_TEST(Reason() == "signature");
  // Authorised by the old key, but the new key never signed it.
  Offer(WithRoot(r2_new, RootDocument(2, {&new_key}, {&old_key})));
  BOOST_TEST(Device("check").exit_code == 20);
  // A version gap.
  Offer(WithRoot(r2_new, RootDocument(3, {&new_key}, {&old_key, &new_key})));
  BOOST_TEST(Device("check").exit_code == 20);
  BOOST_TEST(Reason() == "signature");
  BOOST_TEST(!fs::exists(state_dir() / "trust/root-2.json"));
  BOOST_TEST(!fs::exists(state_dir() / "trust/root-3.json"));
  BOOST_TEST(State()["running"]["version"].get<std::string>() == "1.0.0");
  // Flawed in-band handling does not extend to roots: they still need the current keys.
  Offer(WithRoot(evil, RootDocument(2, {&rogue}, {&rogue})));
  BOOST_TEST(Device("check", "accept-in-band-key,accept-revoked-key").exit_code == 20);
}

BOOST_AUTO_TEST_CASE(provisioning_checks_the_root_document) {
  // Not signed by its own key.
  WriteText(root() / "bad-root.json", RootDocument(1, {&old_key}, {&new_key}));
  Config()["trust_anchors"] = {(root() / "bad-root.json").string()};
  Config()["initial_firmware"] = {{"manifest", r1.manifest_file.string()},
                                  {"image", r1.image.string()}};
  SaveConfig();
  const auto bad = Device("provision");
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(bad.err.find("trust_anchors[0]") != std::string::npos, bad.err);
  // A root document with another anchor beside it.
  Config()["trust_anchors"] = {(root() / "root.json").string(), (root() / "vendor.pub.pem").string()};
  SaveConfig();
  const auto mixed = Device("provision");
  BOOST_TEST(mixed.exit_code == 2);
  BOOST_TEST(mixed.err.find("the only trust anchor") != std::string::npos, mixed.err);
}

BOOST_AUTO_TEST_CASE(in_band_keys_are_never_trusted) {
  Provision(r1);
  const crypto::PrivateKey& rogue = rogue_key();
  ReleaseOptions by_rogue;
  by_rogue.key = &rogue;
  const Release evil = Edited(MakeRelease("evil", "9.0.0", 9, RandomBytes(kImageBytes, 98), by_rogue),
                              [&](manifest::Envelope& e) { e.keys = {rogue.Public().ToPem()}; });
  Offer(evil);
  BOOST_TEST(Device("check").exit_code == 20);
  BOOST_TEST(Reason() == "signature");

  const std::string flaws = "accept-in-band-key";
  BOOST_TEST(Device("check", flaws).exit_code == 0);
  BOOST_TEST(State(flaws)["running"]["version"].get<std::string>() == "9.0.0");
}

BOOST_AUTO_TEST_CASE(weak_algorithms_fail_closed) {
  Provision(r1);
  const std::string keyid = old_key.Public().KeyId();
  const Release none = Edited(r3_old, [&](manifest::Envelope& e) {
    e.signed_bytes.replace(e.signed_bytes.find("3.0.0"), 5, "3.0.1");  // unsigned content
    e.signatures = {{keyid, "none", {}}};
  });
  const Release mismatch = Edited(r3_old, [](manifest::Envelope& e) {
    e.signatures[0].alg = "ecdsa-p256-sha256";  // the key is Ed25519
  });
  for (const Release* offer : {&none, &mismatch}) {
    Offer(*offer);
    BOOST_TEST(Device("check").exit_code == 20);
    BOOST_TEST(Reason() == "signature");
  }
  // The flaw: exactly the alg-none confusion, not a mismatched real algorithm.
  const std::string flaws = "accept-weak-alg";
  Offer(mismatch);
  BOOST_TEST(Device("check", flaws).exit_code == 20);
  Offer(none);  // a manifest nobody signed installs, and boots
  BOOST_TEST(Device("check", flaws).exit_code == 0);
  BOOST_TEST(State(flaws)["running"]["version"].get<std::string>() == "3.0.1");
  BOOST_TEST(Device("boot", flaws).exit_code == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(identity_and_boot, DeviceFixture)

BOOST_AUTO_TEST_CASE(flaw_no_client_cert_presents_no_identity) {
  // The fixture's server requires a client certificate.
  Provision(v1());
  Offer(v2());
  const std::string flaws = "no-client-cert";
  BOOST_TEST(Device("check", flaws).exit_code == 30);
  BOOST_TEST(State(flaws)["last_reason"].get<std::string>() == "tls");
  BOOST_TEST(Device("check").exit_code == 0);
}

BOOST_AUTO_TEST_CASE(failing_self_test_reverts_on_first_boot) {
  Provision(v1());
  Offer(v2());
  BOOST_REQUIRE_EQUAL(Device("check").exit_code, 0);
  BOOST_TEST(State()["self_test"].get<std::string>() == "pending");
  BOOST_REQUIRE_EQUAL(Device("boot").exit_code, 0);
  BOOST_TEST(State()["self_test"].get<std::string>() == "passed");

  const Release bad = MakeRelease("v3", "3.0.0", 3, "OTASIM-SELF-TEST:FAIL\n" + RandomBytes(1000, 3));
  Offer(bad);
  BOOST_REQUIRE_EQUAL(Device("check").exit_code, 0);
  BOOST_TEST(State()["running"]["version"].get<std::string>() == "3.0.0");
  const auto boot = Device("boot");
  BOOST_TEST(boot.exit_code == 0);
  BOOST_TEST(boot.err.find("reverting to slot B") != std::string::npos, boot.err);
  json state = State();
  BOOST_TEST(state["running"]["version"].get<std::string>() == "2.0.0");
  BOOST_TEST(state["last_result"].get<std::string>() == "reverted");
  BOOST_TEST(state["last_reason"].get<std::string>() == "self-test");
  BOOST_TEST(state["self_test"].get<std::string>() == "reverted");
  // Decided once: booting again keeps v2, and v3 offered again is a replay.
  BOOST_TEST(Device("boot").exit_code == 0);
  BOOST_TEST(State()["running"]["version"].get<std::string>() == "2.0.0");
  BOOST_TEST(Device("check").exit_code == 10);
}

BOOST_AUTO_TEST_CASE(flaw_no_self_test_revert_keeps_the_failing_image) {
  const std::string flaws = "no-self-test-revert";
  Provision(v1(), flaws);
  const Release bad = MakeRelease("v3", "3.0.0", 3, "OTASIM-SELF-TEST:FAIL\n" + RandomBytes(1000, 3));
  Offer(bad);
  BOOST_REQUIRE_EQUAL(Device("check", flaws).exit_code, 0);
  BOOST_TEST(Device("boot", flaws).exit_code == 0);
  const json state = State(flaws);
  BOOST_TEST(state["running"]["version"].get<std::string>() == "3.0.0");
  BOOST_TEST(state["self_test"].get<std::string>() == "failed");
}

BOOST_AUTO_TEST_SUITE_END()
