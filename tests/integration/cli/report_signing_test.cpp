#define BOOST_TEST_MODULE report_signing_cli
#include <boost/test/unit_test.hpp>

// `otasim run --sign-key` and `otasim verify-report` as an inspector uses them: a signed run
// verifies with the signer's key, and every change to the report or its evidence is detected
// and named. One real run of the reference device; each check works on its own copy of it.

#include <filesystem>

#include "otasim/crypto.hpp"
#include "support/run_otasim.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using namespace otasim;
using otasim::testing::RunOtasim;
using otasim::testing::RunOtasimCommand;
using otasim::testing::Slurp;
using otasim::testing::TempDir;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// One signed run shared by every test case, with the keys that go with it.
struct SignedRun {
  TempDir keys{"otasim-report-keys"};
  fs::path key_pem, public_pem, other_public_pem, not_a_key;
  testing::OtasimRun run;

  SignedRun() {
    auto key = crypto::PrivateKey::Generate(crypto::KeyAlg::kEd25519);
    auto other = crypto::PrivateKey::Generate(crypto::KeyAlg::kEd25519);
    if (!key || !other) throw std::runtime_error("key generation failed");
    key_pem = keys.path() / "key.pem";
    if (!key->SavePem(key_pem)) throw std::runtime_error("cannot save the key");
    public_pem = keys.Write("key.pub.pem", key->Public().ToPem());
    other_public_pem = keys.Write("other.pub.pem", other->Public().ToPem());
    not_a_key = keys.Write("not-a-key.pem", "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n");
    run = RunOtasim({"--target", "reference", "--scenario", "rollback/signed-older", "--protocol",
                     "http", "--sign-key", key_pem.string()},
                    "report-signed");
  }

  // A fresh copy of the signed output to tamper with.
  fs::path Copy(const TempDir& tmp) const {
    const fs::path copy = tmp.path() / "out";
    fs::copy(run.out_dir, copy, fs::copy_options::recursive);
    return copy;
  }
  std::string EvidenceFile() const {
    return run.report.at("scenarios")[0].at("evidence").get<std::string>() + "/timeline.json";
  }
};

const SignedRun& Run() {
  static SignedRun run;
  return run;
}

testing::OtasimRun Verify(const fs::path& dir, const fs::path& key) {
  std::vector<std::string> args = {"verify-report", dir.string()};
  if (!key.empty()) {
    args.push_back("--key");
    args.push_back(key.string());
  }
  return RunOtasimCommand(args);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(report_signing_cli)

BOOST_AUTO_TEST_CASE(a_signed_run_verifies_with_the_signers_key) {
  const auto& signed_run = Run();
  BOOST_TEST_INFO(signed_run.run.output);
  BOOST_REQUIRE(signed_run.run.exit_code == 0);
  BOOST_REQUIRE(fs::exists(fs::path(signed_run.run.out_dir) / "report.sig.json"));

  auto ok = Verify(signed_run.run.out_dir, signed_run.public_pem);
  BOOST_TEST(ok.exit_code == 0, ok.output);
  BOOST_TEST(Contains(ok.output, "valid, signed by key"), ok.output);

  // Without a pinned key nobody can say who signed.
  auto unpinned = Verify(signed_run.run.out_dir, {});
  BOOST_TEST(unpinned.exit_code == 2, unpinned.output);
  BOOST_TEST(Contains(unpinned.output, "UNVERIFIED"), unpinned.output);
}

BOOST_AUTO_TEST_CASE(an_edited_report_is_detected_and_named) {
  TempDir tmp("otasim-report-tamper");
  const fs::path dir = Run().Copy(tmp);
  std::string report = Slurp(dir / "report.json");
  report.replace(report.find("\"verdict\": \"pass\""), 17, "\"verdict\": \"fail\"");
  tmp.Write("out/report.json", report);
  auto result = Verify(dir, Run().public_pem);
  BOOST_TEST(result.exit_code == 1, result.output);
  BOOST_TEST(Contains(result.output, "MODIFIED  report.json"), result.output);
}

BOOST_AUTO_TEST_CASE(an_edited_evidence_file_is_detected_and_named) {
  TempDir tmp("otasim-report-tamper");
  const fs::path dir = Run().Copy(tmp);
  tmp.Write(fs::path("out") / Run().EvidenceFile(), "[]\n");
  auto result = Verify(dir, Run().public_pem);
  BOOST_TEST(result.exit_code == 1, result.output);
  BOOST_TEST(Contains(result.output, "MODIFIED  " + Run().EvidenceFile()), result.output);
}

BOOST_AUTO_TEST_CASE(deleted_and_added_files_are_detected_and_named) {
  TempDir tmp("otasim-report-tamper");
  const fs::path dir = Run().Copy(tmp);
  fs::remove(dir / "junit.xml");
  tmp.Write("out/evidence/extra.txt", "planted\n");
  auto result = Verify(dir, Run().public_pem);
  BOOST_TEST(result.exit_code == 1, result.output);
  BOOST_TEST(Contains(result.output, "MISSING   junit.xml"), result.output);
  BOOST_TEST(Contains(result.output, "EXTRA     evidence/extra.txt"), result.output);
}

BOOST_AUTO_TEST_CASE(a_wrong_key_is_refused) {
  auto result = Verify(Run().run.out_dir, Run().other_public_pem);
  BOOST_TEST(result.exit_code == 1, result.output);
  BOOST_TEST(Contains(result.output, "not by the trusted key"), result.output);
}

BOOST_AUTO_TEST_CASE(a_key_file_that_is_not_a_key_is_bad_usage) {
  auto verify = Verify(Run().run.out_dir, Run().not_a_key);
  BOOST_TEST(verify.exit_code == 2, verify.output);
  BOOST_TEST(Contains(verify.output, "--key " + Run().not_a_key.string() + " is not a PEM public key"),
             verify.output);

  auto sign = RunOtasimCommand({"run", "--target", "reference", "--scenario", "rollback/signed-older",
                                "--protocol", "http", "--sign-key", Run().not_a_key.string()});
  BOOST_TEST(sign.exit_code == 2, sign.output);
  BOOST_TEST(Contains(sign.output, "is not a PEM private key"), sign.output);

  auto nowhere = Verify("/nonexistent/otasim-out", Run().public_pem);
  BOOST_TEST(nowhere.exit_code == 2, nowhere.output);
}

BOOST_AUTO_TEST_SUITE_END()
