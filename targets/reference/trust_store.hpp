// The device's root of trust and every manifest signature check made against it.
//
// Provisioned either with PEM public keys (trust/anchor-N.pem: any one of them signs) or with a
// signed root document (trust/root-V.json; targets/PROTOCOL.md "Root documents"). A root-anchored
// device applies the `root_updates` an envelope carries before verifying its manifest, and
// persists each root that verified at once, as TUF does: a root is authorised by the keys before
// it, whatever happens to the manifest that brought it. Every root ever applied stays on
// storage (root-1.json, root-2.json, ...); only the newest one signs new manifests.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "device_state.hpp"
#include "flaws.hpp"
#include "otasim/crypto.hpp"
#include "otasim/manifest.hpp"
#include "otasim/root_document.hpp"
#include "otasim/time.hpp"

namespace otasim::device {

class TrustStore {
 public:
  // Reads trust/: root documents if there are any, else PEM anchors. The stored roots were
  // verified when they arrived; loading re-checks their chain of signatures (not their expiry,
  // which is judged on arrival only) so a corrupt store is refused.
  static Result<TrustStore> Load(const StateDir& dir);

  // Checks one trust anchor file for provisioning: a PEM public key or a signed root document.
  // Returns "root" or "key".
  static Result<std::string> CheckAnchor(const std::string& text);

  // The offer path (check): applies envelope.root_updates (persisting each new root under
  // `dir`), then verifies the manifest against the newest root's keys. The flaws
  // accept-revoked-key, accept-in-band-key and accept-weak-alg widen what is accepted here.
  manifest::ManifestResult<manifest::Manifest> VerifyOffer(const StateDir& dir,
                                                           const manifest::Envelope& envelope,
                                                           SysTime now, const Flaws& flaws);

  // The boot path: a slot's stored manifest verifies if any root the device has held signs it
  // (it was checked against the root current when it was installed; revocation governs which
  // new manifests are accepted, not whether an installed image still boots). A flawed device
  // boots what its flaws let it install.
  manifest::ManifestResult<manifest::Manifest> VerifyStored(const manifest::Envelope& envelope,
                                                            const Flaws& flaws) const;

  bool root_anchored() const noexcept { return chain_.has_value(); }
  std::string Describe() const;  // for the log: "root v2 (1 key, threshold 1)" or "2 key(s)"

 private:
  std::vector<crypto::PublicKey> anchors_;        // PEM-anchored device
  std::optional<manifest::RootChain> chain_;      // root-anchored device
};

// The stored root file of a version: trust/root-<version>.json.
std::filesystem::path RootFile(const StateDir& dir, std::uint64_t version);

}  // namespace otasim::device
