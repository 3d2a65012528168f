#define BOOST_TEST_MODULE report_signing
#include <boost/test/unit_test.hpp>

// report.sig.json: what is signed, and that every kind of change to a signed directory is
// found and named.

#include <filesystem>

#include <nlohmann/json.hpp>

#include "otasim/crypto.hpp"
#include "report/signing.hpp"
#include "support/temp_dir.hpp"

using namespace otasim;
namespace fs = std::filesystem;
using otasim::testing::Slurp;
using otasim::testing::TempDir;

namespace {

crypto::PrivateKey NewKey() {
  auto key = crypto::PrivateKey::Generate(crypto::KeyAlg::kEd25519);
  BOOST_REQUIRE(key.ok());
  return std::move(*key);
}

// A small signed output directory.
struct SignedDir {
  TempDir tmp{"otasim-signing"};
  crypto::PrivateKey key = NewKey();
  SignedDir() {
    tmp.Write("report.json", "{\"grade\": \"bronze\"}\n");
    tmp.Write("junit.xml", "<testsuites/>\n");
    tmp.Write("evidence/rollback/signed-older@http/timeline.json", "[1, 2, 3]\n");
    tmp.Write("evidence/rollback/signed-older@http/device.log", "installed v2\n");
    BOOST_REQUIRE(report::SignOutputDir(tmp.path(), key).ok());
  }
  report::VerifyOutcome Verify(const crypto::PublicKey* trusted) const {
    auto outcome = report::VerifyOutputDir(tmp.path(), trusted);
    BOOST_REQUIRE(outcome.ok());
    return *outcome;
  }
  report::VerifyOutcome VerifyPinned() const {
    const crypto::PublicKey pub = key.Public();
    return Verify(&pub);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(report_signing)

BOOST_AUTO_TEST_CASE(canonical_bytes_are_sorted_sha256sum_lines_after_a_format_line) {
  const report::FileHashes files = {{"report.json", std::string(64, 'a')},
                                    {"evidence/x@http/timeline.json", std::string(64, 'b')}};
  BOOST_TEST(report::CanonicalSignedBytes(files) ==
             "otasim-report-signature/1\n" + std::string(64, 'b') +
                 "  evidence/x@http/timeline.json\n" + std::string(64, 'a') + "  report.json\n");
}

BOOST_AUTO_TEST_CASE(a_signed_directory_verifies_with_the_signers_key) {
  SignedDir dir;
  const auto outcome = dir.VerifyPinned();
  BOOST_TEST(outcome.intact());
  BOOST_TEST(outcome.key_pinned);
  BOOST_TEST(outcome.keyid == dir.key.Public().KeyId());

  const auto doc = nlohmann::json::parse(Slurp(dir.tmp.path() / "report.sig.json"));
  BOOST_TEST(doc.at("format") == "otasim-report-signature/1");
  BOOST_TEST(doc.at("alg") == "ed25519");
  BOOST_TEST(doc.at("files").size() == 4u);
  BOOST_TEST(doc.at("files").at("evidence/rollback/signed-older@http/timeline.json") ==
             *crypto::Sha256FileHex(dir.tmp.path() / "evidence/rollback/signed-older@http/timeline.json"));
  BOOST_TEST(!doc.at("files").contains("report.sig.json"));
}

BOOST_AUTO_TEST_CASE(an_edited_file_is_named) {
  SignedDir dir;
  dir.tmp.Write("report.json", "{\"grade\": \"gold\"}\n");
  const auto outcome = dir.VerifyPinned();
  BOOST_TEST(!outcome.intact());
  BOOST_TEST(outcome.signature_ok);  // the listing is genuine; the file is not
  BOOST_TEST(outcome.modified == std::vector<std::string>{"report.json"});
  BOOST_TEST(outcome.missing.empty());
  BOOST_TEST(outcome.extra.empty());
}

BOOST_AUTO_TEST_CASE(missing_and_added_files_are_named) {
  SignedDir dir;
  fs::remove(dir.tmp.path() / "evidence/rollback/signed-older@http/device.log");
  dir.tmp.Write("evidence/rollback/signed-older@http/extra.txt", "planted\n");
  const auto outcome = dir.VerifyPinned();
  BOOST_TEST(!outcome.intact());
  BOOST_TEST(outcome.missing == std::vector<std::string>{"evidence/rollback/signed-older@http/device.log"});
  BOOST_TEST(outcome.extra == std::vector<std::string>{"evidence/rollback/signed-older@http/extra.txt"});
}

BOOST_AUTO_TEST_CASE(a_symlink_is_not_a_signed_file) {
  SignedDir dir;
  fs::create_symlink("/etc/hostname", dir.tmp.path() / "link");
  const auto outcome = dir.VerifyPinned();
  BOOST_TEST(!outcome.intact());
  BOOST_TEST(outcome.extra == std::vector<std::string>{"link (not a regular file)"});
  BOOST_TEST(!report::SignOutputDir(dir.tmp.path(), dir.key).ok());
}

BOOST_AUTO_TEST_CASE(an_edited_listing_breaks_the_signature) {
  SignedDir dir;
  // Tamper with a file and update its hash in the listing: only the signature can tell.
  dir.tmp.Write("junit.xml", "<testsuites tests=\"0\"/>\n");
  auto doc = nlohmann::json::parse(Slurp(dir.tmp.path() / "report.sig.json"));
  doc["files"]["junit.xml"] = *crypto::Sha256FileHex(dir.tmp.path() / "junit.xml");
  dir.tmp.Write("report.sig.json", doc.dump());
  const auto outcome = dir.VerifyPinned();
  BOOST_TEST(!outcome.signature_ok);
  BOOST_TEST(!outcome.intact());
  BOOST_TEST(outcome.modified.empty());
}

BOOST_AUTO_TEST_CASE(resigned_by_another_key_is_refused_when_the_key_is_pinned) {
  SignedDir dir;
  dir.tmp.Write("report.json", "{\"grade\": \"gold\"}\n");
  const crypto::PrivateKey forger = NewKey();
  BOOST_REQUIRE(report::SignOutputDir(dir.tmp.path(), forger).ok());

  const auto pinned = dir.VerifyPinned();
  BOOST_TEST(!pinned.intact());
  BOOST_TEST(!pinned.signature_ok);
  BOOST_REQUIRE(!pinned.problems.empty());
  BOOST_TEST(pinned.problems.front().find("not by the trusted key") != std::string::npos);

  // Without a pinned key the forgery is self-consistent: that is why the CLI never calls it valid.
  const auto unpinned = dir.Verify(nullptr);
  BOOST_TEST(unpinned.intact());
  BOOST_TEST(!unpinned.key_pinned);
  BOOST_TEST(unpinned.keyid == forger.Public().KeyId());
}

BOOST_AUTO_TEST_CASE(a_missing_or_garbled_signature_file_is_a_problem_not_a_crash) {
  SignedDir dir;
  dir.tmp.Write("report.sig.json", "{\"format\": \"otasim-report-signature/1\", \"files\": 3}");
  auto garbled = dir.Verify(nullptr);
  BOOST_TEST(!garbled.intact());
  BOOST_REQUIRE(garbled.problems.size() == 1u);
  BOOST_TEST(garbled.problems[0].find("report.sig.json") != std::string::npos);

  fs::remove(dir.tmp.path() / "report.sig.json");
  auto unsigned_dir = dir.Verify(nullptr);
  BOOST_TEST(!unsigned_dir.intact());
  BOOST_REQUIRE(unsigned_dir.problems.size() == 1u);
  BOOST_TEST(unsigned_dir.problems[0].find("not signed") != std::string::npos);

  BOOST_TEST(!report::VerifyOutputDir(dir.tmp.path() / "nope", nullptr).ok());
}

BOOST_AUTO_TEST_SUITE_END()
