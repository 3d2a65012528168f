// `otasim verify-report DIR [--key PUB.pem]`: is this output directory exactly what the holder
// of the key signed?
#include <iostream>
#include <optional>

#include "cli/commands.hpp"
#include "otasim/crypto.hpp"
#include "report/signing.hpp"

namespace otasim::cli {

int VerifyReportCommand(const std::string& dir, const std::string& key_file) {
  std::optional<crypto::PublicKey> trusted;
  if (!key_file.empty()) {
    auto key = crypto::PublicKey::LoadPem(key_file);
    if (!key) {
      std::cerr << "otasim: --key " << key_file << " is not a PEM public key: "
                << key.error().message() << "\n";
      return kExitBadInput;
    }
    trusted = std::move(*key);
  }
  auto outcome = report::VerifyOutputDir(dir, trusted ? &*trusted : nullptr);
  if (!outcome) {
    std::cerr << "otasim: verify-report: " << outcome.error().message() << "\n";
    return kExitBadInput;
  }
  for (const auto& problem : outcome->problems) std::cout << "TAMPERED  " << problem << "\n";
  for (const auto& path : outcome->modified) std::cout << "MODIFIED  " << path << "\n";
  for (const auto& path : outcome->missing) std::cout << "MISSING   " << path << "\n";
  for (const auto& path : outcome->extra) std::cout << "EXTRA     " << path << "\n";
  if (!outcome->intact()) {
    std::cout << dir << ": NOT valid: the report or its evidence was changed after signing\n";
    return kExitFindings;
  }
  if (!outcome->key_pinned) {
    // Anyone can re-sign an edited report with their own key; only a pinned key says who signed.
    std::cout << dir << ": the files match their signature by key " << outcome->keyid
              << ", but the signer is UNVERIFIED: pass --key with the signer's public key\n";
    return kExitBadInput;
  }
  std::cout << dir << ": valid, signed by key " << outcome->keyid << "\n";
  return kExitOk;
}

}  // namespace otasim::cli
