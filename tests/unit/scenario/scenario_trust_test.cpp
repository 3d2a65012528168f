#define BOOST_TEST_MODULE scenario_trust
#include <boost/test/unit_test.hpp>
// The scenario side of key rotation, self-test and identity: `trust`/`roots`/`root_updates`/
// `self_test` in the loader, the root documents the session signs, the self-test marker in a
// built image, and the client_identity expectation.

#include <filesystem>
#include <fstream>
#include <string>

#include "otasim/root_document.hpp"
#include "plugin_host/registry.hpp"
#include "scenario/expectations.hpp"
#include "scenario/loader.hpp"
#include "scenario/release_builder.hpp"
#include "scenario/scenario_trust.hpp"
#include "scoring/grading.hpp"
#include "support/temp_dir.hpp"

using namespace otasim;
using namespace otasim::scenario;
namespace fs = std::filesystem;
using otasim::testing::TempDir;

namespace {

const fs::path kSource = OTASIM_SOURCE_DIR;

struct Engine {
  plugin_host::Registry registry;
  scoring::Catalogue catalogue;
  Engine() {
    Status builtins = registry.LoadBuiltins();
    if (!builtins) throw std::runtime_error(builtins.error().What());
    auto loaded = scoring::LoadCatalogue(kSource / "scenarios/requirements.yaml");
    if (!loaded) throw std::runtime_error(loaded.error().What());
    catalogue = std::move(*loaded);
  }
  static Engine& Get() {
    static Engine engine;
    return engine;
  }
};

const std::string kRotation =
    "id: keys/sample\n"
    "title: rotation\n"
    "requirements: [AUT-8]\n"
    "trust: root\n"
    "roots:\n"
    "  r2: {version: 2, keys: [vendor-2]}\n"
    "releases:\n"
    "  v1: {version: 1.0.0, sequence: 1}\n"
    "  v2: {version: 2.0.0, sequence: 2, signer: vendor-2, root_updates: [r2], self_test: fail}\n"
    "device: {initial: v1}\n"
    "steps:\n"
    "  - name: rotate\n"
    "    control: true\n"
    "    serve: v2\n"
    "    expect: {outcome: installed, client_identity: device}\n";

Result<ScenarioSpec> Load(const std::string& text) {
  TempDir temp("otasim-scenario-trust");
  return LoadScenario(temp.Write("s.yaml", text),
                      {&Engine::Get().registry, &Engine::Get().catalogue, {}});
}

std::string Replace(const std::string& from, const std::string& to) {
  std::string out = kRotation;
  const auto at = out.find(from);
  BOOST_REQUIRE(at != std::string::npos);
  out.replace(at, from.size(), to);
  return out;
}

void ExpectError(const std::string& text, const std::string& part) {
  auto spec = Load(text);
  BOOST_REQUIRE_MESSAGE(!spec.ok(), "loaded but should fail with " << part);
  BOOST_TEST(spec.error().message().find(part) != std::string::npos, spec.error().message());
}

crypto::PrivateKey NewKey() {
  auto key = crypto::PrivateKey::Generate(crypto::KeyAlg::kEd25519);
  BOOST_REQUIRE(key.ok());
  return *key;
}

}  // namespace

BOOST_AUTO_TEST_CASE(loader_reads_trust_roots_and_release_fields) {
  auto spec = Load(kRotation);
  BOOST_REQUIRE_MESSAGE(spec.ok(), (spec.ok() ? "" : spec.error().message()));
  BOOST_TEST(spec->trust == "root");
  BOOST_REQUIRE(spec->roots.count("r2") == 1u);
  BOOST_TEST(spec->roots.at("r2").version == 2u);
  BOOST_TEST(spec->roots.at("r2").keys == std::vector<std::string>{"vendor-2"});
  const ReleaseSpec& v2 = spec->releases.at("v2");
  BOOST_TEST(v2.signer == "vendor-2");
  BOOST_TEST(v2.root_updates == std::vector<std::string>{"r2"});
  BOOST_TEST(v2.self_test_fails);
  BOOST_TEST(!spec->releases.at("v1").self_test_fails);
  BOOST_TEST(spec->steps[0].expect.client_identity_is_device);
}

BOOST_AUTO_TEST_CASE(loader_names_mistakes) {
  ExpectError(Replace("trust: root\n", "trust: keys\n"), "roots need `trust: root`");
  ExpectError(Replace("trust: root\n", "trust: pki\n"), "expected keys or root");
  ExpectError(Replace("{version: 2, keys: [vendor-2]}", "{version: 1, keys: [vendor-2]}"),
              "version 1 is the provisioned root");
  ExpectError(Replace("keys: [vendor-2]}", "keys: [mallory]}"), "unknown key 'mallory'");
  ExpectError(Replace("keys: [vendor-2]}", "keys: [vendor-2], threshold: 2}"), "threshold");
  ExpectError(Replace("root_updates: [r2]", "root_updates: [r9]"), "no root named 'r9'");
  ExpectError(Replace("signer: vendor-2", "signer: mallory"), "another vendor key");
  ExpectError(Replace("self_test: fail", "self_test: maybe"), "expected pass or fail");
  ExpectError(Replace("client_identity: device", "client_identity: anyone"), "expected device");
}

BOOST_AUTO_TEST_CASE(session_roots_rotate_from_the_provisioned_one) {
  auto spec = Load(kRotation);
  BOOST_REQUIRE(spec.ok());
  const crypto::PrivateKey vendor = NewKey(), rogue = NewKey();
  const SysTime start = *ParseRfc3339("2026-11-28T06:00:00Z");
  auto trust = BuildScenarioTrust(*spec, vendor, rogue, start);
  BOOST_REQUIRE_MESSAGE(trust.ok(), (trust.ok() ? "" : trust.error().message()));
  BOOST_REQUIRE(trust->keys.count("vendor-2") == 1u);

  auto chain = manifest::RootChain::FromProvisioned(trust->provisioned_root);
  BOOST_REQUIRE_MESSAGE(chain.ok(), (chain.ok() ? "" : chain.error().detail));
  BOOST_TEST(chain.value().current().keys.at(0).KeyId() == vendor.Public().KeyId());
  auto applied = chain.value().Apply(trust->roots.at("r2"), start);
  BOOST_REQUIRE_MESSAGE(applied.ok(), (applied.ok() ? "" : applied.error().detail));
  BOOST_TEST(chain.value().current().keys.at(0).KeyId() == trust->keys.at("vendor-2").Public().KeyId());

  // The release signed by vendor-2 carries r2 and verifies after it; its image fails self-test.
  TempDir temp("otasim-scenario-trust-build");
  ReleaseKeys keys{&vendor, &rogue, &trust->keys, &trust->roots};
  auto release = BuildRelease(spec->releases.at("v2"), temp.path(), 7, start, keys);
  BOOST_REQUIRE_MESSAGE(release.ok(), (release.ok() ? "" : release.error().message()));
  auto envelope = manifest::ParseEnvelope(release->envelope);
  BOOST_REQUIRE(envelope.ok());
  BOOST_TEST(envelope.value().root_updates.size() == 1u);
  BOOST_TEST(chain.value().VerifyManifest(envelope.value()).ok());
  std::ifstream image(release->image_path, std::ios::binary);
  std::string head(kSelfTestFailMarker.size(), '\0');
  image.read(head.data(), static_cast<std::streamsize>(head.size()));
  BOOST_TEST(head == std::string(kSelfTestFailMarker));
  // The marker is part of what the manifest's digest covers.
  BOOST_TEST(*crypto::Sha256FileHex(release->image_path) == release->manifest.image.digest);
}

BOOST_AUTO_TEST_CASE(keys_trust_makes_no_root) {
  std::string text = kRotation;
  const std::string roots = "trust: root\nroots:\n  r2: {version: 2, keys: [vendor-2]}\n";
  text.erase(text.find(roots), roots.size());
  const std::string updates = ", root_updates: [r2]";
  text.erase(text.find(updates), updates.size());
  auto loaded = Load(text);
  BOOST_REQUIRE_MESSAGE(loaded.ok(), (loaded.ok() ? "" : loaded.error().message()));
  BOOST_TEST(loaded->trust == "keys");
  const crypto::PrivateKey vendor = NewKey(), rogue = NewKey();
  auto trust = BuildScenarioTrust(*loaded, vendor, rogue, *ParseRfc3339("2026-11-28T06:00:00Z"));
  BOOST_REQUIRE(trust.ok());
  BOOST_TEST(trust->provisioned_root.empty());
  BOOST_TEST(trust->keys.count("vendor-2") == 1u);  // still made: a release is signed by it
}

BOOST_AUTO_TEST_CASE(client_identity_expectation_needs_every_exchange_by_the_device) {
  Expectations expect;
  expect.client_identity_is_device = true;
  StepObservation seen;
  seen.device_identity = "dev-0001-s1";
  auto exchange = [](std::string identity) {
    Exchange e;
    e.kind = "manifest";
    e.client_identity = std::move(identity);
    return e;
  };
  auto check = [&]() { return EvaluateExpectations(expect, seen, {}).at(0); };
  BOOST_TEST(!check().ok);  // no exchange at all
  seen.exchanges = {exchange("dev-0001-s1"), exchange("dev-0001-s1")};
  BOOST_TEST(check().ok);
  seen.exchanges.push_back(exchange(""));
  BOOST_TEST(!check().ok);
  BOOST_TEST(check().observed == "dev-0001-s1, (none)");
  seen.exchanges = {exchange("dev-0002-s1")};  // another device's credential
  BOOST_TEST(!check().ok);
}
