#define BOOST_TEST_MODULE scenario_release_builder
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <span>
#include <string>

#include "otasim/crypto.hpp"
#include "otasim/files.hpp"
#include "otasim/manifest.hpp"
#include "otasim/time.hpp"
#include "scenario/release_builder.hpp"
#include "support/temp_dir.hpp"

using namespace otasim;
using namespace otasim::scenario;
namespace fs = std::filesystem;
using otasim::testing::TempDir;
using otasim::testing::Slurp;

namespace {

std::string Write(const fs::path& path, std::uint64_t size, std::uint64_t seed) {
  auto digest = WritePseudoRandomFile(path, size, seed);
  BOOST_REQUIRE_MESSAGE(digest.ok(), (digest.ok() ? "" : digest.error().What()));
  return *digest;
}

crypto::PrivateKey NewKey() {
  auto key = crypto::PrivateKey::Generate(crypto::KeyAlg::kEd25519);
  BOOST_REQUIRE(key.ok());
  return *key;
}

struct Keys {
  crypto::PrivateKey vendor = NewKey();
  crypto::PrivateKey rogue = NewKey();
  crypto::PrivateKey other = NewKey();
  ReleaseKeys release_keys() const { return {&vendor, &rogue}; }
};

SysTime Start() {
  auto t = ParseRfc3339("2026-03-01T12:00:00Z");
  BOOST_REQUIRE(t.ok());
  return *t;
}

bool Verifies(const std::string& envelope, const crypto::PrivateKey& key) {
  const crypto::PublicKey pub = key.Public();
  return manifest::ParseAndVerify(envelope, std::span(&pub, 1)).ok();
}

manifest::Manifest VerifiedWith(const std::string& envelope, const crypto::PrivateKey& key) {
  const crypto::PublicKey pub = key.Public();
  auto m = manifest::ParseAndVerify(envelope, std::span(&pub, 1));
  BOOST_REQUIRE_MESSAGE(m.ok(), (m.ok() ? "" : m.error().detail));
  return m.value();
}

ReleaseSpec Spec(const std::string& name) {
  ReleaseSpec spec;
  spec.name = name;
  spec.version = "2.1.0";
  spec.sequence = 7;
  spec.size = 5000;
  return spec;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pseudo_random_file_tests)

BOOST_AUTO_TEST_CASE(deterministic_per_seed_and_different_across_seeds) {
  TempDir temp("otasim-release-builder");
  const std::uint64_t size = 100000;
  const std::string a1 = Write(temp.path() / "a1", size, 42);
  const std::string a2 = Write(temp.path() / "a2", size, 42);
  const std::string b = Write(temp.path() / "b", size, 43);
  BOOST_TEST(a1 == a2);
  BOOST_TEST(Slurp(temp.path() / "a1") == Slurp(temp.path() / "a2"));
  BOOST_TEST(a1 != b);
  const std::string bytes_a = Slurp(temp.path() / "a1"), bytes_b = Slurp(temp.path() / "b");
  BOOST_TEST(bytes_a != bytes_b);
  // Not a constant fill: the two streams differ almost everywhere, and bytes vary.
  std::size_t same = 0;
  for (std::size_t i = 0; i < bytes_a.size(); ++i) same += bytes_a[i] == bytes_b[i] ? 1 : 0;
  BOOST_TEST(same < bytes_a.size() / 100);
  BOOST_TEST(bytes_a.find_first_not_of(bytes_a[0]) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_shorter_file_is_a_prefix_of_a_longer_one) {
  TempDir temp("otasim-release-builder");
  Write(temp.path() / "long", 3 * 65536 + 13, 9);
  Write(temp.path() / "short", 65536 + 5, 9);
  const std::string longer = Slurp(temp.path() / "long");
  BOOST_TEST(longer.substr(0, 65536 + 5) == Slurp(temp.path() / "short"));
}

BOOST_AUTO_TEST_CASE(exact_size_and_digest_matches_the_file) {
  TempDir temp("otasim-release-builder");
  for (std::uint64_t size : {std::uint64_t{1}, std::uint64_t{7}, std::uint64_t{8},
                             std::uint64_t{13}, std::uint64_t{65535}, std::uint64_t{65536},
                             std::uint64_t{65537}, std::uint64_t{3 * 65536 + 3},
                             std::uint64_t{1 << 20}}) {
    BOOST_TEST_CONTEXT("size " << size) {
      const fs::path path = temp.path() / ("f" + std::to_string(size));
      const std::string digest = Write(path, size, 1234);
      BOOST_TEST(fs::file_size(path) == size);
      auto on_disk = crypto::Sha256FileHex(path);
      BOOST_REQUIRE(on_disk.ok());
      BOOST_TEST(digest == *on_disk);
      BOOST_TEST(digest.size() == 64u);
    }
  }
}

BOOST_AUTO_TEST_CASE(zero_bytes_is_an_empty_file) {
  TempDir temp("otasim-release-builder");
  const std::string digest = Write(temp.path() / "empty", 0, 5);
  BOOST_TEST(fs::file_size(temp.path() / "empty") == 0u);
  BOOST_TEST(digest == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

BOOST_AUTO_TEST_CASE(rewriting_truncates) {
  TempDir temp("otasim-release-builder");
  Write(temp.path() / "f", 10000, 1);
  const std::string digest = Write(temp.path() / "f", 100, 1);
  BOOST_TEST(fs::file_size(temp.path() / "f") == 100u);
  BOOST_TEST(digest == *crypto::Sha256FileHex(temp.path() / "f"));
}

BOOST_AUTO_TEST_CASE(an_unwritable_path_is_an_error) {
  auto digest = WritePseudoRandomFile(fs::temp_directory_path() / "otasim-no-such-dir/x/y.bin", 10, 1);
  BOOST_REQUIRE(!digest.ok());
  BOOST_TEST((digest.error().code() == Errc::kIo));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(build_release_tests)

BOOST_AUTO_TEST_CASE(manifest_verifies_with_the_vendor_key_only) {
  TempDir temp("otasim-release-builder");
  Keys keys;
  auto release = BuildRelease(Spec("v2"), temp.path(), 77, Start(), keys.release_keys());
  BOOST_REQUIRE_MESSAGE(release.ok(), (release.ok() ? "" : release.error().What()));
  BOOST_TEST(Verifies(release->envelope, keys.vendor));
  BOOST_TEST(!Verifies(release->envelope, keys.other));
  BOOST_TEST(!Verifies(release->envelope, keys.rogue));

  const manifest::Manifest m = VerifiedWith(release->envelope, keys.vendor);
  BOOST_TEST(m.version == "2.1.0");
  BOOST_TEST(m.sequence == 7u);
  BOOST_TEST(m.image.size == 5000u);
  BOOST_TEST(m.image.uri == "images/v2.bin");
  BOOST_TEST(m.vendor_id == kVendorId);
  BOOST_TEST(m.class_id == kClassId);
  // The release's own copy of the manifest is what was signed.
  BOOST_TEST(manifest::ToJson(m) == manifest::ToJson(release->manifest));

  BOOST_TEST(release->name == "v2");
  BOOST_TEST(release->image_file == "v2.bin");
  BOOST_TEST(release->image_path == temp.path() / "v2.bin");
  BOOST_TEST(fs::file_size(release->image_path) == 5000u);
  BOOST_TEST(m.image.digest == *crypto::Sha256FileHex(release->image_path));
  BOOST_TEST(Slurp(temp.path() / "v2.manifest.json") == release->envelope);
}

BOOST_AUTO_TEST_CASE(the_image_is_the_seeded_stream) {
  TempDir temp("otasim-release-builder");
  Keys keys;
  auto release = BuildRelease(Spec("v2"), temp.path(), 77, Start(), keys.release_keys());
  BOOST_REQUIRE(release.ok());
  const std::string digest = Write(temp.path() / "same-seed", 5000, 77);
  BOOST_TEST(release->manifest.image.digest == digest);
  fs::create_directory(temp.path() / "other");
  auto other = BuildRelease(Spec("v2"), temp.path() / "other", 78, Start(), keys.release_keys());
  BOOST_REQUIRE(other.ok());
  BOOST_TEST(other->manifest.image.digest != digest);
}

BOOST_AUTO_TEST_CASE(class_and_vendor_default_and_override) {
  TempDir temp("otasim-release-builder");
  Keys keys;
  ReleaseSpec spec = Spec("odd");
  spec.class_id = "other-class";
  spec.vendor_id = "other-vendor";
  auto release = BuildRelease(spec, temp.path(), 1, Start(), keys.release_keys());
  BOOST_REQUIRE(release.ok());
  const manifest::Manifest m = VerifiedWith(release->envelope, keys.vendor);
  BOOST_TEST(m.class_id == "other-class");
  BOOST_TEST(m.vendor_id == "other-vendor");

  ReleaseSpec only_class = Spec("cls");
  only_class.class_id = "x-class";
  auto partial = BuildRelease(only_class, temp.path(), 1, Start(), keys.release_keys());
  BOOST_REQUIRE(partial.ok());
  BOOST_TEST(partial->manifest.class_id == "x-class");
  BOOST_TEST(partial->manifest.vendor_id == kVendorId);
}

BOOST_AUTO_TEST_CASE(issued_and_expires_are_offsets_from_the_start) {
  TempDir temp("otasim-release-builder");
  Keys keys;
  ReleaseSpec spec = Spec("v2");
  auto defaults = BuildRelease(spec, temp.path(), 1, Start(), keys.release_keys());
  BOOST_REQUIRE(defaults.ok());
  BOOST_TEST(defaults->manifest.issued == "2026-03-01T11:00:00Z");   // -1h
  BOOST_TEST(defaults->manifest.expires == "2026-03-31T12:00:00Z");  // +30d

  spec.issued = "-2d";
  spec.expires = "+90m";
  auto release = BuildRelease(spec, temp.path(), 1, Start(), keys.release_keys());
  BOOST_REQUIRE(release.ok());
  const manifest::Manifest m = VerifiedWith(release->envelope, keys.vendor);
  BOOST_TEST(m.issued == "2026-02-27T12:00:00Z");
  BOOST_TEST(m.expires == "2026-03-01T13:30:00Z");
  BOOST_TEST(m.expires == FormatRfc3339(Start() + std::chrono::minutes(90)));

  spec.expires = "-1h";  // already expired
  auto expired = BuildRelease(spec, temp.path(), 1, Start(), keys.release_keys());
  BOOST_REQUIRE(expired.ok());
  BOOST_TEST(expired->manifest.expires == "2026-03-01T11:00:00Z");
}

BOOST_AUTO_TEST_CASE(a_bad_offset_is_an_error) {
  TempDir temp("otasim-release-builder");
  Keys keys;
  ReleaseSpec spec = Spec("v2");
  spec.expires = "soon";
  BOOST_TEST(!BuildRelease(spec, temp.path(), 1, Start(), keys.release_keys()).ok());
}

BOOST_AUTO_TEST_CASE(rogue_signer_verifies_only_with_the_rogue_key) {
  TempDir temp("otasim-release-builder");
  Keys keys;
  ReleaseSpec spec = Spec("evil");
  spec.signer = "rogue";
  auto release = BuildRelease(spec, temp.path(), 1, Start(), keys.release_keys());
  BOOST_REQUIRE(release.ok());
  BOOST_TEST(Verifies(release->envelope, keys.rogue));
  BOOST_TEST(!Verifies(release->envelope, keys.vendor));
  BOOST_TEST(!Verifies(release->envelope, keys.other));
}

BOOST_AUTO_TEST_CASE(a_missing_key_is_an_error) {
  TempDir temp("otasim-release-builder");
  Keys keys;
  ReleaseSpec spec = Spec("evil");
  spec.signer = "rogue";
  auto release = BuildRelease(spec, temp.path(), 1, Start(), ReleaseKeys{&keys.vendor, nullptr});
  BOOST_REQUIRE(!release.ok());
  BOOST_TEST(release.error().message().find("rogue") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
