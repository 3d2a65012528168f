// Ed25519 and ECDSA P-256 signing keys through EVP.
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstring>

#include "openssl_error.hpp"
#include "ossl_ptr.hpp"
#include "otasim/crypto.hpp"
#include "otasim/files.hpp"

namespace otasim::crypto {
namespace {

constexpr std::uint64_t kMaxPemBytes = 1 << 20;

// Refuses to prompt on the terminal for an encrypted key's passphrase.
int NoPassphrase(char*, int, int, void*) { return -1; }

// Which of our algorithms a key is, or kUnsupported for any other key type or curve.
Result<KeyAlg> AlgOf(EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) return KeyAlg::kEd25519;
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
    char group[64] = {};
    std::size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &length) == 1 &&
        (std::strcmp(group, "prime256v1") == 0 || std::strcmp(group, "P-256") == 0)) {
      return KeyAlg::kEcdsaP256;
    }
    ERR_clear_error();
    return Error(Errc::kUnsupported, "EC key on a curve other than P-256");
  }
  return Error(Errc::kUnsupported, std::string("unsupported key type ") +
                                       (EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "?"));
}

// Ed25519 signs the message itself (no digest); ECDSA signs its SHA-256.
const EVP_MD* DigestFor(KeyAlg alg) { return alg == KeyAlg::kEd25519 ? nullptr : EVP_sha256(); }

// EVP one-shot calls want a non-null pointer even for an empty message.
const unsigned char* DataOrEmpty(ByteView data) {
  static const unsigned char kEmpty = 0;
  return data.empty() ? &kEmpty : data.data();
}

// Reads a PEM file and parses it as a `Key` (PublicKey or PrivateKey); errors name the file.
template <class Key>
Result<Key> LoadPemFile(const std::filesystem::path& path) {
  OTASIM_TRY(std::string pem, ReadFile(path, kMaxPemBytes));
  auto key = Key::FromPem(pem);
  if (!key) return key.error().WithContext(path.string());
  return key;
}

}  // namespace

void PkeyDeleter::operator()(evp_pkey_st* key) const noexcept { EVP_PKEY_free(key); }

std::string_view KeyAlgName(KeyAlg alg) noexcept {
  switch (alg) {
    case KeyAlg::kEd25519: return "ed25519";
    case KeyAlg::kEcdsaP256: return "ecdsa-p256-sha256";
  }
  return "unknown";
}

Result<KeyAlg> ParseKeyAlg(std::string_view name) {
  if (name == "ed25519") return KeyAlg::kEd25519;
  if (name == "ecdsa-p256-sha256") return KeyAlg::kEcdsaP256;
  return Error(Errc::kUnsupported,
               "unsupported key algorithm '" + std::string(name) + "' (ed25519, ecdsa-p256-sha256)");
}

// ---- PublicKey ----------------------------------------------------------------------------

PublicKey::PublicKey(PkeyPtr key, KeyAlg alg) : key_(std::move(key)), alg_(alg) {}

Result<PublicKey> PublicKey::FromPem(std::string_view pem) {
  BioPtr bio = BioFromText(pem);
  if (!bio) return OpenSslError("public key PEM: cannot read input", Errc::kParse);
  PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!key) return OpenSslError("public key PEM: not a PUBLIC KEY (SubjectPublicKeyInfo)", Errc::kParse);
  OTASIM_TRY(KeyAlg alg, AlgOf(key.get()));
  return PublicKey(std::move(key), alg);
}

Result<PublicKey> PublicKey::LoadPem(const std::filesystem::path& path) {
  return LoadPemFile<PublicKey>(path);
}

std::string PublicKey::ToPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) {
    ERR_clear_error();
    return {};
  }
  return BioToString(bio.get());
}

Bytes PublicKey::SpkiDer() const {
  unsigned char* der = nullptr;
  int size = i2d_PUBKEY(key_.get(), &der);
  if (size <= 0) {
    ERR_clear_error();
    return {};
  }
  Bytes out(der, der + size);
  OPENSSL_free(der);
  return out;
}

std::string PublicKey::KeyId() const {
  const Bytes der = SpkiDer();
  return HexEncode(Sha256::Of(der));
}

Status PublicKey::Verify(ByteView message, ByteView signature) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return OpenSslError("verify: EVP_MD_CTX_new");
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, DigestFor(alg_), nullptr, key_.get()) != 1) {
    return OpenSslError("verify: EVP_DigestVerifyInit");
  }
  // 1 is a good signature; 0 a bad one; negative a signature that could not even be parsed.
  const int rc = EVP_DigestVerify(ctx.get(), DataOrEmpty(signature), signature.size(),
                                  DataOrEmpty(message), message.size());
  if (rc == 1) return {};
  const std::string reasons = DrainOpenSslErrors();
  return Error(Errc::kSignature, std::string(KeyAlgName(alg_)) + " signature does not verify" +
                                     (reasons.empty() ? "" : " (" + reasons + ")"));
}

// ---- PrivateKey ---------------------------------------------------------------------------

PrivateKey::PrivateKey(PkeyPtr key, KeyAlg alg) : key_(std::move(key)), alg_(alg) {}

Result<PrivateKey> PrivateKey::Generate(KeyAlg alg) {
  EVP_PKEY* raw = alg == KeyAlg::kEd25519 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                                          : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (raw == nullptr) {
    return OpenSslError("generating " + std::string(KeyAlgName(alg)) + " key");
  }
  return PrivateKey(PkeyPtr(raw), alg);
}

Result<PrivateKey> PrivateKey::FromPem(std::string_view pem) {
  BioPtr bio = BioFromText(pem);
  if (!bio) return OpenSslError("private key PEM: cannot read input", Errc::kParse);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!key) return OpenSslError("private key PEM: no unencrypted private key", Errc::kParse);
  OTASIM_TRY(KeyAlg alg, AlgOf(key.get()));
  return PrivateKey(std::move(key), alg);
}

Result<PrivateKey> PrivateKey::LoadPem(const std::filesystem::path& path) {
  return LoadPemFile<PrivateKey>(path);
}

std::string PrivateKey::ToPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  // PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY") in OpenSSL 3.
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1) {
    ERR_clear_error();
    return {};
  }
  return BioToString(bio.get());
}

Status PrivateKey::SavePem(const std::filesystem::path& path) const {
  const std::string pem = ToPem();
  if (pem.empty()) return OpenSslError("encoding private key as PEM");
  return WriteFileAtomic(path, pem, kPermsPrivate);
}

PublicKey PrivateKey::Public() const {
  // Copy the public half through its DER, so the PublicKey holds no private material.
  unsigned char* der = nullptr;
  int size = i2d_PUBKEY(key_.get(), &der);
  if (size > 0) {
    const unsigned char* p = der;
    EVP_PKEY* pub = d2i_PUBKEY(nullptr, &p, size);
    OPENSSL_free(der);
    if (pub != nullptr) return PublicKey(PkeyPtr(pub), alg_);
  }
  // Only reachable when out of memory: share the key pair rather than fail.
  ERR_clear_error();
  EVP_PKEY_up_ref(key_.get());
  return PublicKey(PkeyPtr(key_.get()), alg_);
}

Result<Bytes> PrivateKey::Sign(ByteView message) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return OpenSslError("sign: EVP_MD_CTX_new");
  if (EVP_DigestSignInit(ctx.get(), nullptr, DigestFor(alg_), nullptr, key_.get()) != 1) {
    return OpenSslError("sign: EVP_DigestSignInit");
  }
  std::size_t size = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &size, DataOrEmpty(message), message.size()) != 1) {
    return OpenSslError("sign: EVP_DigestSign (size)");
  }
  Bytes signature(size);
  if (EVP_DigestSign(ctx.get(), signature.data(), &size, DataOrEmpty(message), message.size()) != 1) {
    return OpenSslError("sign: EVP_DigestSign");
  }
  signature.resize(size);  // ECDSA DER signatures are often shorter than the maximum
  return signature;
}

}  // namespace otasim::crypto
