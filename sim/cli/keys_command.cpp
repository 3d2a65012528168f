// `otasim keys generate --out DIR [--host HOST]... [--device-id ID] [--force]`: the key material
// a device maker needs to build releases with `otasim release build` and to serve a device on
// the network with `otasim run --listen --keys`: the Ed25519 manifest key, a P-256 code-signing
// identity for CMS-signed formats (SWUpdate's .swu), and a TLS CA that issues the server
// certificate (naming every --host) and the device's identity, so that a device is provisioned
// once. The CA key is kept, so that a run can issue certificates from the CA the device trusts
// (attackers holding a genuine certificate). Private files are 0600.
#include <arpa/inet.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <system_error>
#include <vector>

#include "cli/commands.hpp"
#include "cli/key_files.hpp"
#include "crypto/cms.hpp"
#include "otasim/crypto.hpp"
#include "otasim/files.hpp"

namespace otasim::cli {
namespace {

constexpr int kCaDays = 3650;
constexpr int kLeafDays = 825;  // the longest TLS leaf lifetime clients commonly accept

struct OutFile {
  const char* name;
  std::string contents;
  bool secret;
};

// The server certificate's subjectAltNames: IP literals as IP entries, the rest as DNS names.
struct HostNames {
  std::vector<std::string> dns;
  std::vector<std::string> ips;
};

bool IsIpLiteral(const std::string& host) {
  unsigned char address[16];
  return inet_pton(AF_INET, host.c_str(), address) == 1 || inet_pton(AF_INET6, host.c_str(), address) == 1;
}

// A DNS name a certificate can carry: letters, digits, '-' and '.', no empty label.
bool IsDnsName(const std::string& host) {
  if (host.empty() || host.size() > 253 || host.front() == '.' || host.back() == '.') return false;
  if (host.find("..") != std::string::npos) return false;
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

Result<HostNames> ClassifyHosts(std::vector<std::string> hosts) {
  if (hosts.empty()) hosts = {"localhost", "127.0.0.1"};
  HostNames names;
  for (std::string host : hosts) {
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (IsIpLiteral(host)) {
      names.ips.push_back(host);
    } else if (IsDnsName(host)) {
      names.dns.push_back(host);
    } else {
      return MakeError(Errc::kInvalidArgument,
                       "--host '" + host + "' is neither an IP address nor a DNS name");
    }
  }
  return names;
}

// Device ids end up in URL paths and certificate names: keep them plain.
Status CheckDeviceId(const std::string& id) {
  bool ok = !id.empty() && id.size() <= 64;
  for (char c : id) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.');
  }
  if (ok) return {};
  return MakeError(Errc::kInvalidArgument, "--device-id '" + id + "' must be 1 to 64 letters, digits, "
                                           "'-', '_' or '.'");
}

std::string Joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
  return text.empty() ? "(none)" : text;
}

std::string Index(const HostNames& hosts, const std::string& device_id) {
  return std::string("otasim device-maker keys (made by `otasim keys generate`)\n\n") +
         kVendorKeyFile + "        Ed25519 manifest signing key (private, 0600): signs otasim manifests\n" +
         kVendorPubFile + "        its public key: provision devices that take otasim manifests with it\n" +
         kCodesignCertFile + "     EC P-256 self-signed code-signing certificate (CMS-signed formats):\n"
         "                      SWUpdate's trust anchor, `swupdate -k " + kCodesignCertFile + "`\n" +
         kCodesignKeyFile + "      its private key (0600)\n" +
         kTlsCaCertFile + "       CA certificate the device trusts for the update server's TLS\n" +
         kTlsCaKeyFile + "        its private key (0600): `otasim run --keys` issues attackers'\n"
         "                      certificates from it, as a stolen CA key would\n" +
         kTlsServerCertFile + "   server certificate issued by that CA, for DNS: " + Joined(hosts.dns) +
         "; IP: " + Joined(hosts.ips) + "\n" +
         kTlsServerKeyFile + "    its private key (0600)\n" +
         kDeviceCertFile + "            the device's identity (mutual TLS), CN " + device_id +
         ", issued by that CA\n" +
         kDeviceKeyFile + "            its private key (0600)\n\n"
         "Provision the device once with " + kTlsCaCertFile + ", " + kDeviceCertFile + ", " +
         kDeviceKeyFile + " and " + kVendorPubFile + ";\n"
         "serve it with `otasim run --listen HOST:PORT --keys DIR` (HOST: one of the names above).\n"
         "Build releases with `otasim release build --keys DIR ...`.\n";
}

Result<std::vector<OutFile>> MakeKeys(const HostNames& hosts, const std::string& device_id) {
  OTASIM_TRY(crypto::PrivateKey vendor, crypto::PrivateKey::Generate(crypto::KeyAlg::kEd25519));
  OTASIM_TRY(crypto::IssuedCert codesign, crypto::MakeCodeSigningIdentity("otasim vendor code signing"));
  OTASIM_TRY(crypto::CertificateAuthority ca,
             crypto::CertificateAuthority::Create("otasim device-maker TLS CA",
                                                  crypto::KeyAlg::kEcdsaP256, kCaDays));
  OTASIM_TRY(crypto::IssuedCert server,
             ca.Issue({.common_name = "otasim update server",
                       .dns_names = hosts.dns,
                       .ip_addresses = hosts.ips,
                       .valid_days = kLeafDays}));
  OTASIM_TRY(crypto::IssuedCert device,
             ca.Issue({.common_name = device_id, .server = false, .client = true, .valid_days = kLeafDays}));
  return std::vector<OutFile>{
      {kVendorKeyFile, vendor.ToPem(), true},
      {kVendorPubFile, vendor.Public().ToPem(), false},
      {kCodesignCertFile, codesign.cert_pem, false},
      {kCodesignKeyFile, codesign.key_pem, true},
      {kTlsCaCertFile, ca.cert_pem(), false},
      {kTlsCaKeyFile, ca.KeyPem(), true},
      {kTlsServerCertFile, server.cert_pem, false},
      {kTlsServerKeyFile, server.key_pem, true},
      {kDeviceCertFile, device.cert_pem, false},
      {kDeviceKeyFile, device.key_pem, true},
      {"README.txt", Index(hosts, device_id), false},
  };
}

}  // namespace

int KeysGenerateCommand(const KeysOptions& options) {
  const std::filesystem::path dir(options.out_dir);
  auto hosts = ClassifyHosts(options.hosts);
  if (!hosts) {
    std::cerr << "otasim: keys generate: " << hosts.error().message() << "\n";
    return kExitBadInput;
  }
  if (Status id = CheckDeviceId(options.device_id); !id) {
    std::cerr << "otasim: keys generate: " << id.error().message() << "\n";
    return kExitBadInput;
  }
  auto files = MakeKeys(*hosts, options.device_id);
  if (!files) {
    std::cerr << "otasim: keys generate: " << files.error().What() << "\n";
    return kExitHarness;
  }
  if (!options.force) {
    for (const OutFile& file : *files) {
      std::error_code ec;
      if (std::filesystem::exists(dir / file.name, ec)) {
        std::cerr << "otasim: keys generate: " << (dir / file.name).string()
                  << " exists; not overwriting keys without --force\n";
        return kExitBadInput;
      }
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::cerr << "otasim: keys generate: cannot create " << dir.string() << ": " << ec.message() << "\n";
    return kExitBadInput;
  }
  for (const OutFile& file : *files) {
    Status written = WriteFileAtomic(dir / file.name, file.contents,
                                     file.secret ? kPermsPrivate : kPermsPublic);
    if (!written) {
      std::cerr << "otasim: keys generate: " << written.error().What() << "\n";
      return kExitBadInput;
    }
  }
  std::cout << "keys written to " << dir.string() << " (index: README.txt)\n";
  return kExitOk;
}

}  // namespace otasim::cli
