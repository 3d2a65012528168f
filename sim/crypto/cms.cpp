// CMS detached signatures and code-signing identities with OpenSSL's CMS_* and X509_* calls.
#include "cms.hpp"

#include <openssl/cms.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "openssl_error.hpp"
#include "ossl_ptr.hpp"

namespace otasim::crypto {
namespace {

using CmsPtr = OsslPtr<CMS_ContentInfo, CMS_ContentInfo_free>;
using X509StorePtr = OsslPtr<X509_STORE, X509_STORE_free>;

constexpr long kBackdateSeconds = 3600;  // tolerate device clocks an hour behind ours

Result<X509Ptr> ReadCert(std::string_view pem, std::string_view what) {
  BioPtr bio = BioFromText(pem);
  if (!bio) return OpenSslError(std::string(what) + ": BIO_new_mem_buf");
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return OpenSslError(std::string(what) + ": not a PEM certificate", Errc::kParse);
  return cert;
}

Status AddExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpenSslError(std::string("code-signing certificate: extension ") + OBJ_nid2sn(nid));
  }
  return {};
}

Status SetSerial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return OpenSslError("certificate serial: RAND_bytes");
  bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7f) | 0x01);  // positive, non-zero
  BignumPtr bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
  Asn1IntegerPtr serial(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  if (!serial || X509_set_serialNumber(cert, serial.get()) != 1) {
    return OpenSslError("certificate serial");
  }
  return {};
}

}  // namespace

Result<IssuedCert> MakeCodeSigningIdentity(const std::string& common_name, int valid_days) {
  if (common_name.empty()) return Error(Errc::kInvalidArgument, "code-signing identity: empty name");
  if (valid_days <= 0) return Error(Errc::kInvalidArgument, "code-signing identity: valid_days <= 0");
  OTASIM_TRY(PrivateKey key, PrivateKey::Generate(KeyAlg::kEcdsaP256));
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) return OpenSslError("X509_new");
  OTASIM_CHECK(SetSerial(cert.get()));
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                 -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1) {
    return OpenSslError("code-signing certificate: name '" + common_name + "'");
  }
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kBackdateSeconds) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(valid_days) * 86400) == nullptr ||
      X509_set_pubkey(cert.get(), key.native()) != 1) {
    return OpenSslError("code-signing certificate: validity or key");
  }
  OTASIM_CHECK(AddExtension(cert.get(), NID_basic_constraints, "critical,CA:TRUE"));
  OTASIM_CHECK(AddExtension(cert.get(), NID_key_usage, "digitalSignature,keyCertSign"));
  OTASIM_CHECK(AddExtension(cert.get(), NID_ext_key_usage, "codeSigning,emailProtection"));
  OTASIM_CHECK(AddExtension(cert.get(), NID_subject_key_identifier, "hash"));
  if (X509_sign(cert.get(), key.native(), EVP_sha256()) <= 0) return OpenSslError("X509_sign");
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert.get()) != 1) {
    return OpenSslError("PEM_write_bio_X509");
  }
  return IssuedCert{.cert_pem = BioToString(bio.get()), .key_pem = key.ToPem()};
}

Result<Bytes> CmsSignDetached(std::string_view content, std::string_view cert_pem,
                              std::string_view key_pem) {
  OTASIM_TRY(X509Ptr cert, ReadCert(cert_pem, "CMS signer"));
  OTASIM_TRY(PrivateKey key, PrivateKey::FromPem(key_pem));
  BioPtr data = BioFromText(content);
  if (!data) return OpenSslError("CMS sign: content BIO");
  CmsPtr cms(CMS_sign(cert.get(), key.native(), nullptr, data.get(),
                      CMS_BINARY | CMS_DETACHED | CMS_NOSMIMECAP));
  if (!cms) return OpenSslError("CMS_sign");
  const int size = i2d_CMS_ContentInfo(cms.get(), nullptr);
  if (size <= 0) return OpenSslError("CMS sign: DER size");
  Bytes der(static_cast<std::size_t>(size));
  unsigned char* out = der.data();
  if (i2d_CMS_ContentInfo(cms.get(), &out) != size) return OpenSslError("CMS sign: DER encoding");
  return der;
}

Status CmsVerifyDetached(std::string_view content, ByteView signature,
                         std::string_view trusted_cert_pem) {
  OTASIM_TRY(X509Ptr anchor, ReadCert(trusted_cert_pem, "CMS trust anchor"));
  const unsigned char* in = signature.data();
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &in, static_cast<long>(signature.size())));
  if (!cms) return OpenSslError("CMS verify: signature is not CMS DER", Errc::kSignature);
  X509StorePtr store(X509_STORE_new());
  if (!store || X509_STORE_add_cert(store.get(), anchor.get()) != 1) {
    return OpenSslError("CMS verify: trust store");
  }
  BioPtr data = BioFromText(content);
  if (!data) return OpenSslError("CMS verify: content BIO");
  if (CMS_verify(cms.get(), nullptr, store.get(), data.get(), nullptr, CMS_BINARY) != 1) {
    return OpenSslError("CMS verify: signature does not verify", Errc::kSignature);
  }
  return {};
}

}  // namespace otasim::crypto
