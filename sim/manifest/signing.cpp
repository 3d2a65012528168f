// Signing manifests and verifying envelopes against the device's trust anchors.
#include "otasim/manifest.hpp"

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
    std::vector<std::string> anchor_ids;
    anchor_ids.reserve(trust_anchors.size());
    for (const auto& anchor : trust_anchors) anchor_ids.push_back(anchor.KeyId());

    bool verified = false;
    for (std::size_t i = 0; i < envelope.signatures.size(); ++i) {
      const SignatureEntry& entry = envelope.signatures[i];
      const std::string path = "signatures[" + std::to_string(i) + "]";
      std::size_t anchor = 0;
      while (anchor < anchor_ids.size() && anchor_ids[anchor] != entry.keyid) ++anchor;
      if (anchor == anchor_ids.size()) continue;  // not a key we trust: ignored
      const crypto::PublicKey& key = trust_anchors[anchor];

      auto alg = crypto::ParseKeyAlg(entry.alg);
      if (!alg) {
        return ManifestError{Failure::kUnsupportedAlg,
                             path + ".alg: unsupported algorithm '" + entry.alg + "'"};
      }
      // The algorithm comes from the trusted key, never from the envelope: a mismatch is an
      // attempt to make us verify under the wrong algorithm.
      if (alg.value() != key.alg()) {
        return ManifestError{Failure::kBadSignature,
                             path + ".alg: '" + entry.alg + "' does not match key " + entry.keyid +
                                 " (" + std::string(crypto::KeyAlgName(key.alg())) + ")"};
      }
      if (auto ok = key.Verify(crypto::AsBytes(envelope.signed_bytes), entry.sig); !ok) {
        return ManifestError{Failure::kBadSignature,
                             path + ": signature by trusted key " + entry.keyid + " does not verify"};
      }
      verified = true;
    }
    if (!verified) {
      return ManifestError{Failure::kUnknownKey, "signatures: none is by a trusted key"};
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
