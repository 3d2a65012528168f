// A per-run X.509 CA, its leaf certificates and self-signed leaves, built with X509_* calls.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "openssl_error.hpp"
#include "ossl_ptr.hpp"
#include "otasim/crypto.hpp"

namespace otasim::crypto {
namespace {

constexpr long kBackdateSeconds = 3600;  // tolerate clocks an hour behind ours

const EVP_MD* SigningDigest(KeyAlg alg) { return alg == KeyAlg::kEd25519 ? nullptr : EVP_sha256(); }

Status SetRandomSerial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return OpenSslError("certificate serial: RAND_bytes");
  bytes[0] &= 0x7f;  // positive
  bytes[0] |= 0x01;  // and never zero-length after stripping leading zeros
  BignumPtr bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
  if (!bn) return OpenSslError("certificate serial: BN_bin2bn");
  Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!serial || X509_set_serialNumber(cert, serial.get()) != 1) {
    return OpenSslError("certificate serial: X509_set_serialNumber");
  }
  return {};
}

Status SetSubjectCn(X509* cert, const std::string& common_name) {
  if (common_name.empty()) return Error(Errc::kInvalidArgument, "certificate: empty common name");
  X509_NAME* name = X509_get_subject_name(cert);
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                 -1, 0) != 1) {
    return OpenSslError("certificate: setting common name '" + common_name + "'");
  }
  return {};
}

// Adds one extension written in openssl.cnf syntax ("critical,CA:TRUE").
Status AddExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpenSslError(std::string("certificate: extension ") + OBJ_nid2sn(nid) + "=" + value);
  }
  return {};
}

// subjectAltName built entry by entry, so names can not inject extra conf syntax.
Status AddSubjectAltNames(X509* cert, const CertRequest& request) {
  if (request.dns_names.empty() && request.ip_addresses.empty()) return {};
  GeneralNamesPtr names(GENERAL_NAMES_new());
  if (!names) return OpenSslError("subjectAltName: GENERAL_NAMES_new");
  for (const auto& dns : request.dns_names) {
    if (dns.empty()) return Error(Errc::kInvalidArgument, "subjectAltName: empty DNS name");
    GeneralNamePtr name(GENERAL_NAME_new());
    ASN1_IA5STRING* text = ASN1_IA5STRING_new();
    if (!name || text == nullptr || ASN1_STRING_set(text, dns.data(), static_cast<int>(dns.size())) != 1) {
      ASN1_IA5STRING_free(text);
      return OpenSslError("subjectAltName: DNS " + dns);
    }
    GENERAL_NAME_set0_value(name.get(), GEN_DNS, text);
    if (sk_GENERAL_NAME_push(names.get(), name.get()) == 0) return OpenSslError("subjectAltName: push");
    name.release();  // now owned by names
  }
  for (const auto& ip : request.ip_addresses) {
    GeneralNamePtr name(a2i_GENERAL_NAME(nullptr, nullptr, nullptr, GEN_IPADD, ip.c_str(), 0));
    if (!name) {
      return OpenSslError("subjectAltName: '" + ip + "' is not an IP address", Errc::kInvalidArgument);
    }
    if (sk_GENERAL_NAME_push(names.get(), name.get()) == 0) return OpenSslError("subjectAltName: push");
    name.release();
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, 0) != 1) {
    return OpenSslError("subjectAltName: X509_add1_ext_i2d");
  }
  return {};
}

struct Signer {
  X509* cert;  // the issuer's certificate; the new certificate itself when self-signed
  const PrivateKey* key;
};

// The fields every certificate here shares: v3, serial, subject, issuer, validity, key.
Result<X509Ptr> NewCertificate(const std::string& common_name, EVP_PKEY* subject_key, int valid_days) {
  if (valid_days <= 0) return Error(Errc::kInvalidArgument, "certificate: valid_days must be positive");
  X509Ptr cert(X509_new());
  if (!cert) return OpenSslError("X509_new");
  if (X509_set_version(cert.get(), 2) != 1) return OpenSslError("X509_set_version");
  OTASIM_CHECK(SetRandomSerial(cert.get()));
  OTASIM_CHECK(SetSubjectCn(cert.get(), common_name));
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kBackdateSeconds) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(valid_days) * 86400) == nullptr) {
    return OpenSslError("certificate: setting validity");
  }
  if (X509_set_pubkey(cert.get(), subject_key) != 1) return OpenSslError("X509_set_pubkey");
  return cert;
}

Result<std::string> SignAndEncode(X509* cert, const Signer& signer) {
  if (X509_set_issuer_name(cert, X509_get_subject_name(signer.cert)) != 1) {
    return OpenSslError("X509_set_issuer_name");
  }
  if (X509_sign(cert, signer.key->native(), SigningDigest(signer.key->alg())) <= 0) {
    return OpenSslError("X509_sign");
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return OpenSslError("PEM_write_bio_X509");
  return BioToString(bio.get());
}

// A leaf for `request`, signed by `signer` (or by its own key when signer.cert is null).
Result<IssuedCert> MakeLeaf(const CertRequest& request, const Signer* signer) {
  OTASIM_TRY(PrivateKey key, PrivateKey::Generate(request.key_alg));
  OTASIM_TRY(X509Ptr cert, NewCertificate(request.common_name, key.native(), request.valid_days));
  const Signer self{cert.get(), &key};
  const Signer& by = signer != nullptr ? *signer : self;

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, by.cert, cert.get(), nullptr, nullptr, 0);
  OTASIM_CHECK(AddExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE"));
  OTASIM_CHECK(AddExtension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature"));
  std::string eku;
  if (request.server) eku = "serverAuth";
  if (request.client) eku += eku.empty() ? "clientAuth" : ",clientAuth";
  if (!eku.empty()) OTASIM_CHECK(AddExtension(cert.get(), &ctx, NID_ext_key_usage, eku.c_str()));
  OTASIM_CHECK(AddExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  if (signer != nullptr) {
    OTASIM_CHECK(AddExtension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
  }
  OTASIM_CHECK(AddSubjectAltNames(cert.get(), request));

  OTASIM_TRY(std::string cert_pem, SignAndEncode(cert.get(), by));
  return IssuedCert{std::move(cert_pem), key.ToPem()};
}

Result<X509Ptr> ParseCertificate(const std::string& pem) {
  BioPtr bio = BioFromText(pem);
  if (!bio) return OpenSslError("certificate PEM: cannot read input", Errc::kParse);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return OpenSslError("certificate PEM", Errc::kParse);
  return cert;
}

}  // namespace

CertificateAuthority::CertificateAuthority(std::string cert_pem, PrivateKey key)
    : cert_pem_(std::move(cert_pem)), key_(std::move(key)) {}

Result<CertificateAuthority> CertificateAuthority::Create(const std::string& common_name,
                                                          KeyAlg key_alg, int valid_days) {
  OTASIM_TRY(PrivateKey key, PrivateKey::Generate(key_alg));
  OTASIM_TRY(X509Ptr cert, NewCertificate(common_name, key.native(), valid_days));
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  OTASIM_CHECK(AddExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE"));
  OTASIM_CHECK(AddExtension(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign"));
  OTASIM_CHECK(AddExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  OTASIM_TRY(std::string pem, SignAndEncode(cert.get(), Signer{cert.get(), &key}));
  return CertificateAuthority(std::move(pem), std::move(key));
}

Result<CertificateAuthority> CertificateAuthority::FromPem(const std::string& cert_pem,
                                                           std::string_view key_pem) {
  OTASIM_TRY(X509Ptr cert, ParseCertificate(cert_pem));
  OTASIM_TRY(PrivateKey key, PrivateKey::FromPem(key_pem));
  if (X509_check_ca(cert.get()) != 1) {
    return Error(Errc::kInvalidArgument, "certificate authority: the certificate is not a CA certificate");
  }
  if (X509_check_private_key(cert.get(), key.native()) != 1) {
    ERR_clear_error();
    return Error(Errc::kInvalidArgument, "certificate authority: the private key is not the certificate's");
  }
  return CertificateAuthority(cert_pem, std::move(key));
}

Result<IssuedCert> CertificateAuthority::SelfSigned(const CertRequest& request) {
  return MakeLeaf(request, nullptr);
}

Result<IssuedCert> CertificateAuthority::Issue(const CertRequest& request) const {
  OTASIM_TRY(X509Ptr ca_cert, ParseCertificate(cert_pem_));
  const Signer signer{ca_cert.get(), &key_};
  return MakeLeaf(request, &signer);
}

}  // namespace otasim::crypto
