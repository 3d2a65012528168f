// Signing manifests and verifying envelopes against the device's trust anchors.
#include "otasim/manifest.hpp"
#include "otasim/root_document.hpp"

namespace otasim::manifest {

Result<Envelope> Sign(const Manifest& manifest, std::span<const crypto::PrivateKey> keys) {
  return SignBytes(ToJson(manifest), keys);
}

Result<Envelope> SignBytes(std::string signed_bytes, std::span<const crypto::PrivateKey> keys) {
  Envelope envelope;
  envelope.signed_bytes = std::move(signed_bytes);
  for (const auto& key : keys) {
    auto sig = key.Sign(crypto::AsBytes(envelope.signed_bytes));
    if (!sig) return sig.error().WithContext("signing manifest");
    envelope.signatures.push_back(SignatureEntry{key.Public().KeyId(),
                                                 std::string(crypto::KeyAlgName(key.alg())),
                                                 std::move(sig).value()});
  }
  return envelope;
}

ManifestResult<Manifest> Verify(const Envelope& envelope,
                                std::span<const crypto::PublicKey> trust_anchors) {
  try {
    if (envelope.signatures.empty()) {
      return ManifestError{Failure::kNoSignature, "signatures: the envelope carries no signature"};
    }
    if (auto refused = CheckSignatures(envelope.signed_bytes, envelope.signatures, trust_anchors,
                                       /*threshold=*/1, "manifest")) {
      return *refused;
    }
    return ParseManifest(envelope.signed_bytes);
  } catch (const std::exception& e) {
    return ManifestError{Failure::kMalformed, std::string("verify: ") + e.what()};
  }
}

ManifestResult<Manifest> ParseAndVerify(std::string_view envelope_json,
                                        std::span<const crypto::PublicKey> trust_anchors) {
  auto envelope = ParseEnvelope(envelope_json);
  if (!envelope) return envelope.error();
  return Verify(envelope.value(), trust_anchors);
}

}  // namespace otasim::manifest
