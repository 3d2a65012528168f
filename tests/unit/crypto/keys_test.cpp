#define BOOST_TEST_MODULE keys
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "otasim/crypto.hpp"
#include "support/temp_dir.hpp"

namespace c = otasim::crypto;
namespace fs = std::filesystem;
using otasim::Errc;
using otasim::testing::TempDir;

namespace {

c::PrivateKey Generate(c::KeyAlg alg) {
  auto key = c::PrivateKey::Generate(alg);
  BOOST_REQUIRE_MESSAGE(key.ok(), (key.ok() ? "" : key.error().What()));
  return *key;
}

const c::KeyAlg kAlgs[] = {c::KeyAlg::kEd25519, c::KeyAlg::kEcdsaP256};

void ExpectSignatureError(const otasim::Status& status) {
  BOOST_REQUIRE(!status.ok());
  BOOST_TEST((status.error().code() == Errc::kSignature), status.error().What());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(keys_tests)

BOOST_AUTO_TEST_CASE(alg_names) {
  BOOST_TEST(c::KeyAlgName(c::KeyAlg::kEd25519) == "ed25519");
  BOOST_TEST(c::KeyAlgName(c::KeyAlg::kEcdsaP256) == "ecdsa-p256-sha256");
  BOOST_TEST((*c::ParseKeyAlg("ed25519") == c::KeyAlg::kEd25519));
  BOOST_TEST((*c::ParseKeyAlg("ecdsa-p256-sha256") == c::KeyAlg::kEcdsaP256));
  BOOST_TEST(!c::ParseKeyAlg("rsa-pss").ok());
  BOOST_TEST(!c::ParseKeyAlg("ED25519").ok());
}

BOOST_AUTO_TEST_CASE(sign_and_verify_both_algs) {
  const std::string message = "{\"format\":\"otasim-manifest/1\"}";
  for (c::KeyAlg alg : kAlgs) {
    const c::PrivateKey key = Generate(alg);
    BOOST_TEST((key.alg() == alg));
    auto sig = key.Sign(c::AsBytes(message));
    BOOST_REQUIRE(sig.ok());
    if (alg == c::KeyAlg::kEd25519) BOOST_TEST(sig->size() == 64u);
    const c::PublicKey pub = key.Public();
    BOOST_TEST((pub.alg() == alg));
    BOOST_TEST(pub.Verify(c::AsBytes(message), *sig).ok());
    // Empty messages sign and verify too.
    auto empty_sig = key.Sign({});
    BOOST_REQUIRE(empty_sig.ok());
    BOOST_TEST(pub.Verify({}, *empty_sig).ok());
  }
}

BOOST_AUTO_TEST_CASE(tampered_message_or_signature_fails) {
  for (c::KeyAlg alg : kAlgs) {
    const c::PrivateKey key = Generate(alg);
    const std::string message = "sequence 7";
    c::Bytes sig = *key.Sign(c::AsBytes(message));
    ExpectSignatureError(key.Public().Verify(c::AsBytes("sequence 8"), sig));
    c::Bytes flipped = sig;
    flipped[flipped.size() / 2] ^= 0x01;
    ExpectSignatureError(key.Public().Verify(c::AsBytes(message), flipped));
    c::Bytes truncated(sig.begin(), sig.end() - 1);
    ExpectSignatureError(key.Public().Verify(c::AsBytes(message), truncated));
    c::Bytes extended = sig;
    extended.push_back(0);
    ExpectSignatureError(key.Public().Verify(c::AsBytes(message), extended));
  }
}

BOOST_AUTO_TEST_CASE(other_key_and_cross_algorithm_fail) {
  const std::string message = "release v2";
  const c::PrivateKey ed = Generate(c::KeyAlg::kEd25519);
  const c::PrivateKey ec = Generate(c::KeyAlg::kEcdsaP256);
  const c::PrivateKey ed_other = Generate(c::KeyAlg::kEd25519);
  const c::PrivateKey ec_other = Generate(c::KeyAlg::kEcdsaP256);
  const c::Bytes ed_sig = *ed.Sign(c::AsBytes(message));
  const c::Bytes ec_sig = *ec.Sign(c::AsBytes(message));
  ExpectSignatureError(ed_other.Public().Verify(c::AsBytes(message), ed_sig));
  ExpectSignatureError(ec_other.Public().Verify(c::AsBytes(message), ec_sig));
  ExpectSignatureError(ec.Public().Verify(c::AsBytes(message), ed_sig));
  ExpectSignatureError(ed.Public().Verify(c::AsBytes(message), ec_sig));
}

BOOST_AUTO_TEST_CASE(garbage_signatures_fail_cleanly) {
  std::mt19937 rng(7);
  const c::PrivateKey ed = Generate(c::KeyAlg::kEd25519);
  const c::PrivateKey ec = Generate(c::KeyAlg::kEcdsaP256);
  for (std::size_t length : {0u, 1u, 2u, 8u, 63u, 64u, 65u, 70u, 71u, 72u, 73u, 128u, 4096u}) {
    c::Bytes garbage(length);
    for (auto& b : garbage) b = static_cast<std::uint8_t>(rng());
    ExpectSignatureError(ed.Public().Verify(c::AsBytes("m"), garbage));
    ExpectSignatureError(ec.Public().Verify(c::AsBytes("m"), garbage));
    if (length >= 2) {  // something that starts like a DER SEQUENCE
      garbage[0] = 0x30;
      garbage[1] = static_cast<std::uint8_t>(length - 2);
      ExpectSignatureError(ec.Public().Verify(c::AsBytes("m"), garbage));
    }
  }
}

BOOST_AUTO_TEST_CASE(pem_round_trip_keeps_key_id) {
  for (c::KeyAlg alg : kAlgs) {
    const c::PrivateKey key = Generate(alg);
    const std::string private_pem = key.ToPem();
    BOOST_TEST(private_pem.find("-----BEGIN PRIVATE KEY-----") == 0u);  // PKCS#8
    const std::string public_pem = key.Public().ToPem();
    BOOST_TEST(public_pem.find("-----BEGIN PUBLIC KEY-----") == 0u);  // SPKI

    auto reloaded = c::PrivateKey::FromPem(private_pem);
    BOOST_REQUIRE(reloaded.ok());
    BOOST_TEST((reloaded->alg() == alg));
    auto pub = c::PublicKey::FromPem(public_pem);
    BOOST_REQUIRE(pub.ok());
    BOOST_TEST((pub->alg() == alg));
    BOOST_TEST(pub->KeyId() == key.Public().KeyId());
    BOOST_TEST(reloaded->Public().KeyId() == key.Public().KeyId());
    // A signature by the reloaded key verifies under the reloaded public key.
    BOOST_TEST(pub->Verify(c::AsBytes("x"), *reloaded->Sign(c::AsBytes("x"))).ok());
  }
}

BOOST_AUTO_TEST_CASE(key_id_is_sha256_of_spki_der) {
  const c::PrivateKey key = Generate(c::KeyAlg::kEd25519);
  const c::PublicKey pub = key.Public();
  const c::Bytes der = pub.SpkiDer();
  BOOST_TEST(der.size() == 44u);  // Ed25519 SPKI: 12 bytes of header + 32 of key
  BOOST_TEST(pub.KeyId() == c::HexEncode(c::Sha256::Of(der)));
  BOOST_TEST(pub.KeyId().size() == 64u);
  BOOST_TEST(pub.KeyId() != Generate(c::KeyAlg::kEd25519).Public().KeyId());
}

BOOST_AUTO_TEST_CASE(bad_pem_is_refused) {
  const c::PrivateKey key = Generate(c::KeyAlg::kEcdsaP256);
  for (const std::string& bad : {std::string(), std::string("not a pem"),
                                 std::string("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
                                 key.Public().ToPem()}) {
    auto r = c::PrivateKey::FromPem(bad);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST((r.error().code() == Errc::kParse));
  }
  // A private key PEM is not a public key PEM.
  BOOST_TEST(!c::PublicKey::FromPem(key.ToPem()).ok());
}

BOOST_AUTO_TEST_CASE(unsupported_curve_is_refused) {
  // secp384r1, generated by OpenSSL: valid key, not one we accept.
  FILE* p = popen("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp384r1 2>/dev/null", "r");
  BOOST_REQUIRE(p != nullptr);
  std::string pem;
  char buffer[512];
  while (std::size_t n = fread(buffer, 1, sizeof buffer, p)) pem.append(buffer, n);
  BOOST_REQUIRE(pclose(p) == 0);
  auto key = c::PrivateKey::FromPem(pem);
  BOOST_REQUIRE(!key.ok());
  BOOST_TEST((key.error().code() == Errc::kUnsupported));
}

BOOST_AUTO_TEST_CASE(save_and_load_files) {
  TempDir temp("otasim-keys-test");
  const fs::path& dir = temp.path();
  const c::PrivateKey key = Generate(c::KeyAlg::kEd25519);
  BOOST_REQUIRE(key.SavePem(dir / "key.pem").ok());
  struct stat st {};
  BOOST_REQUIRE(::stat((dir / "key.pem").c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  auto loaded = c::PrivateKey::LoadPem(dir / "key.pem");
  BOOST_REQUIRE(loaded.ok());
  BOOST_TEST(loaded->Public().KeyId() == key.Public().KeyId());

  auto pub = c::PublicKey::LoadPem(temp.Write("pub.pem", key.Public().ToPem()));
  BOOST_REQUIRE(pub.ok());
  BOOST_TEST(pub->KeyId() == key.Public().KeyId());

  auto missing = c::PublicKey::LoadPem(dir / "missing.pem");
  BOOST_REQUIRE(!missing.ok());
  BOOST_TEST(missing.error().message().find("missing.pem") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(openssl_cli_verifies_our_signatures) {
  // Interoperability: an ECDSA signature of ours verifies with `openssl pkeyutl`/`dgst`.
  TempDir temp("otasim-keys-cli");
  const c::PrivateKey key = Generate(c::KeyAlg::kEcdsaP256);
  const std::string message = "interop";
  const c::Bytes sig = *key.Sign(c::AsBytes(message));
  const fs::path pub = temp.Write("pub.pem", key.Public().ToPem());
  const fs::path msg = temp.Write("msg", message);
  const fs::path sig_file = temp.Write("sig", std::string(sig.begin(), sig.end()));
  const std::string cmd = "openssl dgst -sha256 -verify " + pub.string() + " -signature " +
                          sig_file.string() + " " + msg.string() + " >/dev/null 2>&1";
  BOOST_TEST(std::system(cmd.c_str()) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
