#include "trust_store.hpp"

#include <algorithm>
#include <map>

#include "log.hpp"
#include "otasim/files.hpp"
#include "otasim/root_document.hpp"

namespace otasim::device {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kMaxTrustFileBytes = 64 * 1024;

bool LooksLikeJson(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  return first != std::string::npos && text[first] == '{';
}

// FLAW accept-weak-alg: the classic "alg: none" confusion. A signature entry that names a
// trusted key id, says alg "none" and carries an empty signature counts as valid.
bool HasNoneSignatureByTrustedKey(const manifest::Envelope& envelope,
                                  const std::vector<crypto::PublicKey>& keys) {
  for (const auto& entry : envelope.signatures) {
    if (entry.alg != "none" || !entry.sig.empty()) continue;
    for (const auto& key : keys) {
      if (key.KeyId() == entry.keyid) return true;
    }
  }
  return false;
}

// In-band keys that load (the flaw accept-in-band-key trusts them; a secure device never looks).
std::vector<crypto::PublicKey> InBandKeys(const manifest::Envelope& envelope) {
  std::vector<crypto::PublicKey> keys;
  for (const auto& pem : envelope.keys) {
    if (auto key = crypto::PublicKey::FromPem(pem)) keys.push_back(std::move(*key));
  }
  return keys;
}

// What the flaws accept-weak-alg and accept-in-band-key let through besides `keys`' valid
// signatures; nullopt when they do not apply (the secure path decides).
std::optional<manifest::ManifestResult<manifest::Manifest>> AcceptLoosely(
    const manifest::Envelope& envelope, const std::vector<crypto::PublicKey>& keys,
    const Flaws& flaws) {
  if (flaws.accept_weak_alg && HasNoneSignatureByTrustedKey(envelope, keys)) {
    // FLAW accept-weak-alg: alg "none" with an empty signature passes as a signature.
    Log("flaw accept-weak-alg: accepting an alg-none signature");
    return manifest::ParseManifest(envelope.signed_bytes);
  }
  if (flaws.accept_in_band_key && !envelope.keys.empty()) {
    // FLAW accept-in-band-key: keys carried in the envelope are trusted like the anchors.
    Log("flaw accept-in-band-key: trusting " + std::to_string(envelope.keys.size()) +
        " in-band key(s)");
    std::vector<crypto::PublicKey> widened = keys;
    for (auto& key : InBandKeys(envelope)) widened.push_back(std::move(key));
    return manifest::Verify(envelope, widened);
  }
  return std::nullopt;
}

}  // namespace

fs::path RootFile(const StateDir& dir, std::uint64_t version) {
  return dir.TrustDir() / ("root-" + std::to_string(version) + ".json");
}

Result<std::string> TrustStore::CheckAnchor(const std::string& text) {
  if (LooksLikeJson(text)) {
    auto root = manifest::ParseSelfSignedRoot(text);
    if (!root) return root.error().ToError().WithContext("not a valid root document");
    return std::string("root");
  }
  OTASIM_TRY(auto key, crypto::PublicKey::FromPem(text));
  (void)key;
  return std::string("key");
}

Result<TrustStore> TrustStore::Load(const StateDir& dir) {
  std::map<std::uint64_t, fs::path> roots;  // by version
  std::vector<fs::path> pems;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir.TrustDir(), ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".pem") pems.push_back(entry.path());
    if (name.rfind("root-", 0) == 0 && entry.path().extension() == ".json") {
      const std::string number = name.substr(5, name.size() - 5 - 5);
      if (number.empty() || number.find_first_not_of("0123456789") != std::string::npos) {
        return MakeError(Errc::kParse, entry.path().string() + ": not root-<version>.json");
      }
      roots[std::stoull(number)] = entry.path();
    }
  }
  if (ec) return MakeError(Errc::kIo, dir.TrustDir().string() + ": " + ec.message());

  TrustStore store;
  if (!roots.empty()) {
    std::optional<manifest::RootChain> chain;
    for (const auto& [version, path] : roots) {
      OTASIM_TRY(auto text, ReadFile(path, kMaxTrustFileBytes));
      if (!chain) {
        auto first = manifest::RootChain::FromProvisioned(text);
        if (!first) return first.error().ToError().WithContext(path.string());
        chain = std::move(first.value());
      } else {
        // Expiry was judged when the root arrived; only the signatures are checked again.
        auto applied = chain->Apply(text, SysTime{});
        if (!applied) return applied.error().ToError().WithContext(path.string());
      }
      if (chain->current().root.version != version) {
        return MakeError(Errc::kParse, path.string() + ": holds root v" +
                                           std::to_string(chain->current().root.version));
      }
    }
    store.chain_ = std::move(chain);
    return store;
  }
  std::sort(pems.begin(), pems.end());
  for (const auto& file : pems) {
    auto key = crypto::PublicKey::LoadPem(file);
    if (!key) return key.error().WithContext("trust anchor " + file.string());
    store.anchors_.push_back(std::move(*key));
  }
  if (store.anchors_.empty()) {
    return MakeError(Errc::kNotFound, "no trust anchors in " + dir.TrustDir().string());
  }
  return store;
}

manifest::ManifestResult<manifest::Manifest> TrustStore::VerifyOffer(
    const StateDir& dir, const manifest::Envelope& envelope, SysTime now, const Flaws& flaws) {
  std::vector<crypto::PublicKey> keys = anchors_;
  if (chain_) {
    for (std::size_t i = 0; i < envelope.root_updates.size(); ++i) {
      auto applied = chain_->Apply(envelope.root_updates[i], now);
      if (!applied) {
        auto error = applied.error();
        error.detail = "root_updates[" + std::to_string(i) + "]: " + error.detail;
        return error;
      }
      if (!applied.value()) continue;  // a root the device already has
      const auto& root = chain_->current();
      // Persisted at once: the previous keys authorised it, whatever the manifest turns out to be.
      if (auto saved = WriteFileAtomic(RootFile(dir, root.root.version), root.document); !saved) {
        return manifest::ManifestError{manifest::Failure::kMalformed,
                                       "root_updates[" + std::to_string(i) +
                                           "]: cannot store: " + saved.error().message()};
      }
      Log("trust: root v" + std::to_string(root.root.version) + " applied (" + Describe() + ")");
    }
    keys = chain_->current().keys;
  } else if (!envelope.root_updates.empty()) {
    Log("trust: root_updates ignored: this device is anchored by keys, not a root document");
  }

  if (auto loose = AcceptLoosely(envelope, keys, flaws)) return *loose;
  if (flaws.accept_revoked_key && chain_ && chain_->roots().size() > 1) {
    // FLAW accept-revoked-key: keys of every root the device ever had still sign.
    Log("flaw accept-revoked-key: keys of every earlier root still trusted");
    return VerifyStored(envelope, Flaws{});
  }
  if (chain_) return chain_->VerifyManifest(envelope);
  return manifest::Verify(envelope, keys);
}

manifest::ManifestResult<manifest::Manifest> TrustStore::VerifyStored(
    const manifest::Envelope& envelope, const Flaws& flaws) const {
  std::vector<crypto::PublicKey> every_key = anchors_;
  if (chain_) {
    for (const auto& root : chain_->roots()) {
      every_key.insert(every_key.end(), root.keys.begin(), root.keys.end());
    }
  }
  // A flawed device boots what its flaws let it install.
  if (auto loose = AcceptLoosely(envelope, every_key, flaws)) return *loose;
  if (!chain_) return manifest::Verify(envelope, anchors_);
  std::optional<manifest::ManifestError> newest_refusal;
  // Newest first, so the error reported is the current root's.
  for (auto it = chain_->roots().rbegin(); it != chain_->roots().rend(); ++it) {
    if (envelope.signatures.empty()) break;
    auto refused = manifest::CheckSignatures(envelope.signed_bytes, envelope.signatures, it->keys,
                                             it->root.threshold,
                                             "manifest (root v" + std::to_string(it->root.version) + ")");
    if (!refused) return manifest::ParseManifest(envelope.signed_bytes);
    if (!newest_refusal) newest_refusal = std::move(refused);
  }
  if (!newest_refusal) {
    return manifest::ManifestError{manifest::Failure::kNoSignature,
                                   "signatures: the envelope carries no signature"};
  }
  return *newest_refusal;
}

std::string TrustStore::Describe() const {
  if (!chain_) return std::to_string(anchors_.size()) + " trust anchor key(s)";
  const auto& root = chain_->current().root;
  return "root v" + std::to_string(root.version) + " (" + std::to_string(root.keys.size()) +
         " key(s), threshold " + std::to_string(root.threshold) + ")";
}

}  // namespace otasim::device
