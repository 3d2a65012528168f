#include "scenario/signing_identities.hpp"

#include <utility>
#include <vector>

#include "crypto/cms.hpp"
#include "otasim/manifest.hpp"

namespace otasim::scenario {

SigningIdentities::SigningIdentities(std::map<std::string, const crypto::PrivateKey*> keys)
    : keys_(std::move(keys)) {}

void SigningIdentities::SetIdentity(SigningIdentity identity) {
  std::lock_guard lock(mutex_);
  std::string name = identity.name;
  identities_.insert_or_assign(std::move(name), std::move(identity));
}

Result<SigningIdentity> SigningIdentities::SignerOf(const std::string& envelope) {
  auto parsed = manifest::ParseEnvelope(envelope);
  if (!parsed.ok()) {
    return MakeError(Errc::kSignature, "envelope does not parse: " + parsed.error().detail);
  }
  std::vector<std::string> order;
  if (keys_.contains("vendor")) order.push_back("vendor");
  for (const auto& [name, key] : keys_) {
    if (name != "vendor") order.push_back(name);
  }
  for (const std::string& name : order) {
    const crypto::PrivateKey* key = keys_.at(name);
    if (key == nullptr) continue;
    const crypto::PublicKey anchors[] = {key->Public()};
    if (manifest::Verify(parsed.value(), anchors).ok()) return Identity(name);
  }
  return MakeError(Errc::kSignature, "no key of the session signed the envelope");
}

Result<SigningIdentity> SigningIdentities::Identity(std::string_view key_name) {
  std::lock_guard lock(mutex_);
  if (auto it = identities_.find(key_name); it != identities_.end()) return it->second;
  const std::string name(key_name);
  auto made = crypto::MakeCodeSigningIdentity("otasim " + name + " code signing");
  if (!made) return made.error().WithContext("signing identity '" + name + "'");
  SigningIdentity identity{.name = name, .cert_pem = made->cert_pem, .key_pem = made->key_pem};
  identities_.emplace(name, identity);
  return identity;
}

Result<std::string> SigningIdentities::PublicKeyPem(std::string_view key_name) {
  auto it = keys_.find(std::string(key_name));
  if (it == keys_.end() || it->second == nullptr) {
    return MakeError(Errc::kNotFound, "no manifest key '" + std::string(key_name) + "'");
  }
  return it->second->Public().ToPem();
}

}  // namespace otasim::scenario
