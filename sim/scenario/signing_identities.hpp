// The session's FormatContext: one X.509 code-signing identity (EC P-256, self-signed) per
// manifest key name, made on first use and kept for the session, and which of the session's
// manifest keys signed an envelope. Thread-safe: formats render on server threads.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "otasim/crypto.hpp"
#include "otasim/release_format.hpp"

namespace otasim::scenario {

class SigningIdentities final : public FormatContext {
 public:
  // `keys`: the session's manifest keys by name ("vendor", "rogue", "vendor-2"); the caller
  // keeps them alive as long as this object.
  explicit SigningIdentities(std::map<std::string, const crypto::PrivateKey*> keys);

  // Uses `identity` for its name instead of making one (a device maker's identity on disk).
  void SetIdentity(SigningIdentity identity);

  // The first key, "vendor" before the others, whose signature on the envelope verifies.
  Result<SigningIdentity> SignerOf(const std::string& envelope) override;
  Result<SigningIdentity> Identity(std::string_view key_name) override;
  Result<std::string> PublicKeyPem(std::string_view key_name) override;

 private:
  const std::map<std::string, const crypto::PrivateKey*> keys_;
  std::mutex mutex_;
  std::map<std::string, SigningIdentity, std::less<>> identities_;
};

}  // namespace otasim::scenario
