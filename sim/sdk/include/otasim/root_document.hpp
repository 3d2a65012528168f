// The signed root document (DESIGN §5): which keys may sign manifests, and how many of them
// must. Key rotation and revocation are new versions of it, each signed by the keys of the one
// before (TUF's root role, simplified):
//
//   {"signed": "<base64 of the root JSON bytes>", "signatures": [{keyid, alg, sig}, ...]}
//   root JSON: {"format": "otasim-root/1", "version": 2, "expires": "<RFC 3339>", "threshold": 1,
//               "keys": [{"keyid": "<sha256 hex of SPKI DER>", "alg": "ed25519", "public_pem": "..."}]}
//
// A key that is in one version and not in the next is revoked.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "otasim/crypto.hpp"
#include "otasim/manifest.hpp"
#include "otasim/time.hpp"

namespace otasim::manifest {

inline constexpr std::string_view kRootFormat = "otasim-root/1";

struct RootKey {
  std::string keyid;  // must equal the key's KeyId()
  std::string alg;    // "ed25519" or "ecdsa-p256-sha256", and must match the key's type
  std::string public_pem;
};

struct Root {
  std::string format{kRootFormat};
  std::uint64_t version = 1;
  std::string expires;  // RFC 3339
  std::uint64_t threshold = 1;
  std::vector<RootKey> keys;
};

// The root as signed bytes (stable: sorted keys) and back (strict: unknown fields, key ids that
// do not match their key, algorithms that do not match their key, a threshold of 0 or above the
// number of keys are all kMalformed).
std::string ToJson(const Root& root);
ManifestResult<Root> ParseRoot(std::string_view json_bytes);

// The entry for a public key, as it appears in "keys".
RootKey MakeRootKey(const crypto::PublicKey& key);

// The signed document, as JSON text, signed by each key in order.
Result<std::string> SignRoot(const Root& root, std::span<const crypto::PrivateKey> keys);

// A root whose signatures have been checked, with its keys loaded.
struct TrustedRoot {
  Root root;
  std::string document;  // the signed document text it came from (what a device stores)
  std::vector<crypto::PublicKey> keys;
};

// Checks that `signed_bytes` carries valid signatures by at least `threshold` distinct keys of
// `keys`. Signatures by other keys are ignored; any signature by one of `keys` that uses an
// algorithm other than its key's, or one not accepted at all ("none", "rsa-pkcs1-sha1", ...), is
// kUnsupportedAlg (fail closed); one that does not verify is kBadSignature; too few is
// kUnknownKey. `what` names the document in details ("manifest", "root v2").
std::optional<ManifestError> CheckSignatures(std::string_view signed_bytes,
                                             std::span<const SignatureEntry> signatures,
                                             std::span<const crypto::PublicKey> keys,
                                             std::uint64_t threshold, const std::string& what);

// The chain of roots a device trusts: it starts from the provisioned root and moves forward
// one version at a time.
class RootChain {
 public:
  // The provisioned root: trusted because it was installed at the factory, but it must still
  // be signed by `threshold` of its own keys (a corrupt or misbuilt root is refused).
  static ManifestResult<RootChain> FromProvisioned(std::string_view document);

  // Applies the next root. It must be version current+1, signed by `threshold` of the current
  // keys and by its own threshold of its own keys (proof that the new keys are held), and not
  // expired at `now`. A document whose version is not above the current one is already known:
  // returns false and changes nothing. Any refusal leaves the chain as it was.
  ManifestResult<bool> Apply(std::string_view document, SysTime now);

  // Every root applied so far, oldest first; the last is the current one.
  const std::vector<TrustedRoot>& roots() const noexcept { return roots_; }
  const TrustedRoot& current() const noexcept { return roots_.back(); }

  // A manifest must be signed by `threshold` of the current root's keys.
  ManifestResult<Manifest> VerifyManifest(const Envelope& envelope) const;

 private:
  explicit RootChain(TrustedRoot root);
  std::vector<TrustedRoot> roots_;
};

// Parses a signed root document (the envelope shape, without root_updates or keys) and checks
// the root's own signatures; used by RootChain and by tools that inspect a root.
ManifestResult<TrustedRoot> ParseSelfSignedRoot(std::string_view document);

}  // namespace otasim::manifest
