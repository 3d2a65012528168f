// The native release manifest (DESIGN §5): JSON metadata signed as bytes, in a JSON envelope.
//
//   {"signed": "<base64 of the manifest JSON bytes>",
//    "signatures": [{"keyid": "<hex sha256 of SPKI DER>", "alg": "ed25519", "sig": "<base64>"}]}
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "otasim/crypto.hpp"
#include "otasim/result.hpp"

namespace otasim::manifest {

inline constexpr std::string_view kFormat = "otasim-manifest/1";
inline constexpr std::size_t kMaxEnvelopeBytes = 64 * 1024;  // larger input is refused unparsed

struct ImageInfo {
  std::string digest;  // sha256, lower-case hex
  std::uint64_t size = 0;
  std::string uri;  // absolute URL or relative to the manifest URL
};

struct Manifest {
  std::string format{kFormat};
  std::string vendor_id;
  std::string class_id;
  std::string version;  // semver
  std::uint64_t sequence = 0;  // anti-rollback counter, strictly increasing per class
  ImageInfo image;
  std::string issued;   // RFC 3339
  std::string expires;  // RFC 3339
  std::optional<std::string> nonce;
};

// Why a manifest was refused; the device maps these to its reason vocabulary.
enum class Failure {
  kMalformed,        // not JSON, wrong types, missing or unknown fields, bad values
  kBadFormat,        // "format" is not otasim-manifest/1
  kNoSignature,      // the envelope carries no signature
  kUnknownKey,       // no signature by a trusted key
  kBadSignature,     // a trusted key's signature does not verify
  kUnsupportedAlg,   // an algorithm the verifier does not accept
};
std::string_view FailureName(Failure failure) noexcept;

struct SignatureEntry {
  std::string keyid;
  std::string alg;
  crypto::Bytes sig;
};

struct Envelope {
  std::string signed_bytes;  // the exact manifest JSON bytes that were signed
  std::vector<SignatureEntry> signatures;
  // Optional "root_updates": signed root documents (JSON text, oldest first) that rotate or
  // revoke the device's update keys; each must be signed by the keys of the one before.
  std::vector<std::string> root_updates;
  // Optional "keys": public keys (PEM) carried in-band. A secure device never trusts them: a
  // key only becomes trusted through provisioning or a signed root update (AUT-9).
  std::vector<std::string> keys;
};

// A refusal with its typed cause; converts to an Error for generic reporting.
struct ManifestError {
  Failure failure;
  std::string detail;  // names the field or key, e.g. "image.size: not an unsigned integer"
  Error ToError() const;
};

template <class T>
class ManifestResult {
 public:
  ManifestResult(T value) : value_(std::move(value)) {}                 // NOLINT
  ManifestResult(ManifestError error) : error_(std::move(error)) {}     // NOLINT
  bool ok() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  const ManifestError& error() const { return *error_; }

 private:
  std::optional<T> value_;
  std::optional<ManifestError> error_;
};

// Manifest <-> JSON bytes. ToJson output is stable for a given Manifest (sorted keys).
std::string ToJson(const Manifest& manifest);
ManifestResult<Manifest> ParseManifest(std::string_view json_bytes);

// Envelope <-> JSON text.
std::string ToJson(const Envelope& envelope);
ManifestResult<Envelope> ParseEnvelope(std::string_view json_text);

// Sign the manifest's JSON bytes with each key (in order).
Result<Envelope> Sign(const Manifest& manifest, std::span<const crypto::PrivateKey> keys);
Result<Envelope> SignBytes(std::string signed_bytes, std::span<const crypto::PrivateKey> keys);

// Accepts when at least one signature by a trusted key verifies (and none of the trusted
// keys' signatures fails), then parses the signed bytes. Signatures by unknown keys are ignored.
ManifestResult<Manifest> Verify(const Envelope& envelope,
                                std::span<const crypto::PublicKey> trust_anchors);

// Parse, then verify: the usual device path for bytes off the network.
ManifestResult<Manifest> ParseAndVerify(std::string_view envelope_json,
                                        std::span<const crypto::PublicKey> trust_anchors);

}  // namespace otasim::manifest
