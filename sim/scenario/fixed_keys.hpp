// Keys that stay the same for every session of a run (`otasim run --keys DIR`, a directory
// written by `otasim keys generate`): a device on the network is provisioned with them once,
// instead of with fresh per-session ones it could never be given.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "otasim/crypto.hpp"
#include "otasim/result.hpp"

namespace otasim::scenario {

struct FixedKeys {
  std::filesystem::path dir;
  crypto::PrivateKey vendor;    // signs every manifest
  std::string tls_ca_pem;       // the CA the device trusts for the update server
  // That CA with its key: issues certificates a device would take for genuine (attackers').
  std::shared_ptr<const crypto::CertificateAuthority> tls_ca;
  std::string server_cert_pem;  // issued by that CA
  std::string server_key_pem;
  std::string device_id;        // the CN of the device's certificate
  std::string device_cert_pem;  // the device's identity, issued by that CA
  std::string device_key_pem;
};

// Reads the TLS CA, the server certificate and the device identity (sim/cli/key_files.hpp) and
// the vendor key from DIR, and checks that they fit together; an error names the file and
// what is wrong with it.
Result<FixedKeys> LoadFixedKeys(const std::filesystem::path& dir);

// kInvalidArgument unless the server certificate names `host` (a subjectAltName IP address for
// an IP literal, a DNS name otherwise), which is what a device checks.
Status CheckServerNames(const FixedKeys& keys, const std::string& host);

}  // namespace otasim::scenario
