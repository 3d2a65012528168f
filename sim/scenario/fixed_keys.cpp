#include "scenario/fixed_keys.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "cli/key_files.hpp"
#include "otasim/files.hpp"

namespace otasim::scenario {

namespace {

constexpr std::size_t kMaxPem = 1u << 20;

using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;

Result<X509Ptr> ParseCertificate(const std::string& pem, const std::string& where) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                                &BIO_free);
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr, &X509_free);
  if (!cert) return MakeError(Errc::kInvalidArgument, where + " is not a PEM certificate");
  return cert;
}

Result<std::string> ReadPem(const std::filesystem::path& file) {
  auto text = ReadFile(file, kMaxPem);
  if (!text) {
    return MakeError(Errc::kNotFound, file.string() + " cannot be read (" + text.error().message() +
                                          "); make the directory with `otasim keys generate`");
  }
  return *text;
}

// A certificate and its key from DIR, checked to belong together and to be issued by `ca`.
struct Leaf {
  std::string cert_pem;
  std::string key_pem;
  X509Ptr cert{nullptr, &X509_free};
};

Result<Leaf> LoadLeaf(const std::filesystem::path& dir, const char* cert_file, const char* key_file,
                      X509* ca) {
  const std::string cert_where = (dir / cert_file).string();
  const std::string key_where = (dir / key_file).string();
  Leaf leaf;
  OTASIM_TRY(leaf.cert_pem, ReadPem(dir / cert_file));
  OTASIM_TRY(leaf.key_pem, ReadPem(dir / key_file));
  OTASIM_TRY(leaf.cert, ParseCertificate(leaf.cert_pem, cert_where));
  auto key = crypto::PrivateKey::FromPem(leaf.key_pem);
  if (!key) return MakeError(Errc::kInvalidArgument, key_where + " is not a private key: " + key.error().message());
  if (X509_check_private_key(leaf.cert.get(), key->native()) != 1) {
    return MakeError(Errc::kInvalidArgument, key_where + " is not the key of " + cert_where);
  }
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> ca_key(X509_get_pubkey(ca), &EVP_PKEY_free);
  if (!ca_key || X509_verify(leaf.cert.get(), ca_key.get()) != 1) {
    return MakeError(Errc::kInvalidArgument,
                     cert_where + " is not issued by " + (dir / cli::kTlsCaCertFile).string());
  }
  return leaf;
}

std::string CommonName(X509* cert) {
  X509_NAME* subject = X509_get_subject_name(cert);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     static_cast<std::size_t>(ASN1_STRING_length(data)));
}

}  // namespace

Result<FixedKeys> LoadFixedKeys(const std::filesystem::path& dir) {
  OTASIM_TRY(std::string vendor_pem, ReadPem(dir / cli::kVendorKeyFile));
  auto vendor = crypto::PrivateKey::FromPem(vendor_pem);
  if (!vendor) {
    return MakeError(Errc::kInvalidArgument, (dir / cli::kVendorKeyFile).string() +
                                                 " is not a private key: " + vendor.error().message());
  }
  FixedKeys keys{dir, std::move(*vendor), {}, nullptr, {}, {}, {}, {}, {}};

  const std::string ca_where = (dir / cli::kTlsCaCertFile).string();
  OTASIM_TRY(keys.tls_ca_pem, ReadPem(dir / cli::kTlsCaCertFile));
  OTASIM_TRY(std::string ca_key_pem, ReadPem(dir / cli::kTlsCaKeyFile));
  auto ca = crypto::CertificateAuthority::FromPem(keys.tls_ca_pem, ca_key_pem);
  if (!ca) {
    return MakeError(Errc::kInvalidArgument, ca_where + " with " + (dir / cli::kTlsCaKeyFile).string() +
                                                 ": " + ca.error().message());
  }
  keys.tls_ca = std::make_shared<const crypto::CertificateAuthority>(std::move(*ca));
  OTASIM_TRY(X509Ptr ca_cert, ParseCertificate(keys.tls_ca_pem, ca_where));

  OTASIM_TRY(Leaf server, LoadLeaf(dir, cli::kTlsServerCertFile, cli::kTlsServerKeyFile, ca_cert.get()));
  keys.server_cert_pem = std::move(server.cert_pem);
  keys.server_key_pem = std::move(server.key_pem);

  OTASIM_TRY(Leaf device, LoadLeaf(dir, cli::kDeviceCertFile, cli::kDeviceKeyFile, ca_cert.get()));
  keys.device_id = CommonName(device.cert.get());
  if (keys.device_id.empty()) {
    return MakeError(Errc::kInvalidArgument,
                     (dir / cli::kDeviceCertFile).string() + " has no common name (the device id)");
  }
  keys.device_cert_pem = std::move(device.cert_pem);
  keys.device_key_pem = std::move(device.key_pem);
  return keys;
}

Status CheckServerNames(const FixedKeys& keys, const std::string& host) {
  const std::string where = (keys.dir / cli::kTlsServerCertFile).string();
  OTASIM_TRY(X509Ptr cert, ParseCertificate(keys.server_cert_pem, where));
  ASN1_OCTET_STRING* address = a2i_IPADDRESS(host.c_str());  // null: not an IP literal
  const bool ip_literal = address != nullptr;
  ASN1_OCTET_STRING_free(address);
  const bool named = ip_literal ? X509_check_ip_asc(cert.get(), host.c_str(), 0) == 1
                                : X509_check_host(cert.get(), host.data(), host.size(), 0, nullptr) == 1;
  if (named) return {};
  return MakeError(Errc::kInvalidArgument,
                   "the server certificate " + where + " does not name " + host +
                       ", so a device connecting to " + host + " would refuse it; make keys for "
                       "that address with `otasim keys generate --host " + host + " --out DIR`");
}

}  // namespace otasim::scenario
