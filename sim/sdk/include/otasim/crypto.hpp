// OpenSSL 3 (EVP) wrappers: signing keys, streaming SHA-256, encodings and a per-run X.509 CA.
// Everything returns Result; no OpenSSL type leaks into callers except through native().
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "otasim/result.hpp"

struct evp_pkey_st;  // EVP_PKEY
struct evp_md_ctx_st;  // EVP_MD_CTX

namespace otasim::crypto {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// ---- encodings ----------------------------------------------------------------------------
std::string HexEncode(ByteView data);
Result<Bytes> HexDecode(std::string_view hex);
std::string Base64Encode(ByteView data);
Result<Bytes> Base64Decode(std::string_view text);  // strict: rejects bad characters and padding

// ---- digests ------------------------------------------------------------------------------
using Sha256Digest = std::array<std::uint8_t, 32>;

// Streaming SHA-256: images are hashed chunk by chunk, never held whole.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(ByteView data);
  Sha256Digest Final();  // the object can not be updated afterwards

  static Sha256Digest Of(ByteView data);

 private:
  evp_md_ctx_st* ctx_;
};

// SHA-256 of a file (or its first `limit` bytes), streamed in 64 KiB chunks; lower-case hex.
Result<std::string> Sha256FileHex(const std::filesystem::path& path,
                                  std::uint64_t limit = UINT64_MAX);

// ---- signing keys -------------------------------------------------------------------------
enum class KeyAlg { kEd25519, kEcdsaP256 };

// Manifest names: "ed25519", "ecdsa-p256-sha256".
std::string_view KeyAlgName(KeyAlg alg) noexcept;
Result<KeyAlg> ParseKeyAlg(std::string_view name);

struct PkeyDeleter {
  void operator()(evp_pkey_st* key) const noexcept;
};
using PkeyPtr = std::unique_ptr<evp_pkey_st, PkeyDeleter>;

class PublicKey {
 public:
  static Result<PublicKey> FromPem(std::string_view pem);
  static Result<PublicKey> LoadPem(const std::filesystem::path& path);

  KeyAlg alg() const noexcept { return alg_; }
  std::string ToPem() const;
  Bytes SpkiDer() const;
  // Key id as used in manifests: SHA-256 of the SubjectPublicKeyInfo DER, lower-case hex.
  std::string KeyId() const;
  // kSignature error when the signature does not verify (ECDSA signatures are DER).
  Status Verify(ByteView message, ByteView signature) const;

  evp_pkey_st* native() const noexcept { return key_.get(); }

 private:
  friend class PrivateKey;  // PrivateKey::Public() builds one
  PublicKey(PkeyPtr key, KeyAlg alg);
  std::shared_ptr<evp_pkey_st> key_;
  KeyAlg alg_;
};

class PrivateKey {
 public:
  static Result<PrivateKey> Generate(KeyAlg alg);
  static Result<PrivateKey> FromPem(std::string_view pem);
  static Result<PrivateKey> LoadPem(const std::filesystem::path& path);

  KeyAlg alg() const noexcept { return alg_; }
  std::string ToPem() const;  // unencrypted PKCS#8
  Status SavePem(const std::filesystem::path& path) const;  // mode 0600
  PublicKey Public() const;
  // Ed25519 is one-shot over the whole message; ECDSA P-256 signs SHA-256 of it.
  Result<Bytes> Sign(ByteView message) const;

  evp_pkey_st* native() const noexcept { return key_.get(); }

 private:
  PrivateKey(PkeyPtr key, KeyAlg alg);
  std::shared_ptr<evp_pkey_st> key_;
  KeyAlg alg_;
};

// ---- X.509 --------------------------------------------------------------------------------
struct CertRequest {
  std::string common_name;
  std::vector<std::string> dns_names;     // subjectAltName DNS entries
  std::vector<std::string> ip_addresses;  // subjectAltName IP entries ("127.0.0.1", "::1")
  bool server = true;                     // extendedKeyUsage serverAuth
  bool client = false;                    // extendedKeyUsage clientAuth
  int valid_days = 30;
  KeyAlg key_alg = KeyAlg::kEcdsaP256;
};

struct IssuedCert {
  std::string cert_pem;
  std::string key_pem;
};

// A certificate authority made in memory for one run (or a rogue one for an attacker).
class CertificateAuthority {
 public:
  static Result<CertificateAuthority> Create(const std::string& common_name,
                                             KeyAlg key_alg = KeyAlg::kEcdsaP256,
                                             int valid_days = 30);
  // A self-signed leaf (no CA behind it), for attackers.
  static Result<IssuedCert> SelfSigned(const CertRequest& request);
  // A CA kept on disk (`otasim keys generate`): its certificate (basicConstraints CA:TRUE) and
  // the private key that goes with it; kInvalidArgument when they do not fit.
  static Result<CertificateAuthority> FromPem(const std::string& cert_pem, std::string_view key_pem);

  const std::string& cert_pem() const noexcept { return cert_pem_; }
  // The CA's private key (unencrypted PKCS#8), for keeping the CA on disk.
  std::string KeyPem() const { return key_.ToPem(); }
  Result<IssuedCert> Issue(const CertRequest& request) const;

 private:
  CertificateAuthority(std::string cert_pem, PrivateKey key);
  std::string cert_pem_;
  PrivateKey key_;
};

}  // namespace otasim::crypto
