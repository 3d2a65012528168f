// Root documents: parse and sign them, count threshold signatures, and walk the chain of
// versions (rotation and revocation).
#include "otasim/root_document.hpp"

#include <algorithm>
#include <array>
#include <set>

#include "strict_json.hpp"

namespace otasim::manifest {
namespace {

using Json = nlohmann::json;

constexpr std::array<std::string_view, 5> kRootFields = {"format", "version", "expires",
                                                         "threshold", "keys"};
constexpr std::array<std::string_view, 3> kKeyFields = {"keyid", "alg", "public_pem"};

ManifestResult<std::string> StringField(const Json& object, std::string_view name,
                                        const std::string& path) {
  auto it = object.find(name);
  if (it == object.end()) return Malformed(path + ": missing");
  if (!it->is_string()) return Malformed(path + ": expected a string, got " + JsonTypeName(*it));
  if (it->get_ref<const std::string&>().empty()) return Malformed(path + ": must not be empty");
  return it->get<std::string>();
}

ManifestResult<std::uint64_t> UnsignedField(const Json& object, std::string_view name,
                                            const std::string& path) {
  auto it = object.find(name);
  if (it == object.end()) return Malformed(path + ": missing");
  if (!it->is_number_unsigned()) {
    return Malformed(path + ": expected an unsigned integer, got " + JsonTypeName(*it));
  }
  return it->get<std::uint64_t>();
}

// One "keys" entry: the key must load, and its id and algorithm must be its own.
ManifestResult<RootKey> ParseKey(const Json& entry, const std::string& path) {
  if (!entry.is_object()) return Malformed(path + ": expected an object, got " + JsonTypeName(entry));
  if (auto unknown = RejectUnknown(entry, kKeyFields, path + ".")) return *unknown;
  RootKey key;
  for (auto [field, target] : {std::pair{"keyid", &key.keyid}, std::pair{"alg", &key.alg},
                               std::pair{"public_pem", &key.public_pem}}) {
    auto value = StringField(entry, field, path + "." + field);
    if (!value) return value.error();
    *target = std::move(value.value());
  }
  auto loaded = crypto::PublicKey::FromPem(key.public_pem);
  if (!loaded) return Malformed(path + ".public_pem: not a public key: " + loaded.error().message());
  if (loaded.value().KeyId() != key.keyid) {
    return Malformed(path + ".keyid: " + key.keyid + " is not the id of its key (" +
                     loaded.value().KeyId() + ")");
  }
  auto alg = crypto::ParseKeyAlg(key.alg);
  if (!alg) {
    return ManifestError{Failure::kUnsupportedAlg,
                         path + ".alg: unsupported algorithm '" + key.alg + "'"};
  }
  if (alg.value() != loaded.value().alg()) {
    return ManifestError{Failure::kUnsupportedAlg,
                         path + ".alg: '" + key.alg + "' does not match the key (" +
                             std::string(crypto::KeyAlgName(loaded.value().alg())) + ")"};
  }
  return key;
}

ManifestResult<Root> ParseRootJson(const Json& json) {
  if (!json.is_object()) return Malformed("root: expected a JSON object, got " + JsonTypeName(json));
  auto format = StringField(json, "format", "format");
  if (!format) return format.error();
  if (format.value() != kRootFormat) {
    return ManifestError{Failure::kBadFormat,
                         "format: '" + format.value() + "' is not " + std::string(kRootFormat)};
  }
  if (auto unknown = RejectUnknown(json, kRootFields, "")) return *unknown;
  Root root;
  auto version = UnsignedField(json, "version", "version");
  if (!version) return version.error();
  if (version.value() == 0) return Malformed("version: must be at least 1");
  root.version = version.value();
  auto expires = StringField(json, "expires", "expires");
  if (!expires) return expires.error();
  if (!ParseRfc3339(expires.value())) {
    return Malformed("expires: not an RFC 3339 time: '" + expires.value() + "'");
  }
  root.expires = expires.value();
  auto threshold = UnsignedField(json, "threshold", "threshold");
  if (!threshold) return threshold.error();
  root.threshold = threshold.value();

  auto keys = json.find("keys");
  if (keys == json.end()) return Malformed("keys: missing");
  if (!keys->is_array()) return Malformed("keys: expected an array, got " + JsonTypeName(*keys));
  std::set<std::string> seen;
  for (std::size_t i = 0; i < keys->size(); ++i) {
    const std::string path = "keys[" + std::to_string(i) + "]";
    auto key = ParseKey((*keys)[i], path);
    if (!key) return key.error();
    if (!seen.insert(key.value().keyid).second) {
      return Malformed(path + ".keyid: " + key.value().keyid + " is listed twice");
    }
    root.keys.push_back(std::move(key.value()));
  }
  if (root.threshold == 0 || root.threshold > root.keys.size()) {
    return Malformed("threshold: " + std::to_string(root.threshold) + " with " +
                     std::to_string(root.keys.size()) + " key(s); must be 1.." +
                     std::to_string(root.keys.size()));
  }
  return root;
}

std::string RootName(const Root& root) { return "root v" + std::to_string(root.version); }

}  // namespace

std::string ToJson(const Root& root) {
  try {
    Json keys = Json::array();
    for (const auto& k : root.keys) {
      keys.push_back({{"keyid", k.keyid}, {"alg", k.alg}, {"public_pem", k.public_pem}});
    }
    const Json json = {{"format", root.format},       {"version", root.version},
                       {"expires", root.expires},     {"threshold", root.threshold},
                       {"keys", std::move(keys)}};
    return json.dump(-1, ' ', false, Json::error_handler_t::replace);
  } catch (const std::exception&) {
    return {};  // only on allocation failure
  }
}

ManifestResult<Root> ParseRoot(std::string_view json_bytes) {
  try {
    auto json = ParseStrictJson(json_bytes, "root");
    if (!json) return json.error();
    return ParseRootJson(json.value());
  } catch (const std::exception& e) {
    return Malformed(std::string("root: ") + e.what());
  }
}

RootKey MakeRootKey(const crypto::PublicKey& key) {
  return RootKey{key.KeyId(), std::string(crypto::KeyAlgName(key.alg())), key.ToPem()};
}

Result<std::string> SignRoot(const Root& root, std::span<const crypto::PrivateKey> keys) {
  OTASIM_TRY(Envelope envelope, SignBytes(ToJson(root), keys));
  return ToJson(envelope);
}

std::optional<ManifestError> CheckSignatures(std::string_view signed_bytes,
                                             std::span<const SignatureEntry> signatures,
                                             std::span<const crypto::PublicKey> keys,
                                             std::uint64_t threshold, const std::string& what) {
  std::set<std::string> verified;  // distinct key ids: one key signing twice counts once
  for (std::size_t i = 0; i < signatures.size(); ++i) {
    const SignatureEntry& entry = signatures[i];
    const std::string path = what + " signatures[" + std::to_string(i) + "]";
    const auto key = std::find_if(keys.begin(), keys.end(),
                                  [&](const crypto::PublicKey& k) { return k.KeyId() == entry.keyid; });
    if (key == keys.end()) continue;  // not a key we trust: ignored
    auto alg = crypto::ParseKeyAlg(entry.alg);
    if (!alg) {
      return ManifestError{Failure::kUnsupportedAlg,
                           path + ".alg: unsupported algorithm '" + entry.alg + "'"};
    }
    // The algorithm comes from the trusted key, never from the document: a mismatch is an
    // attempt to make us verify under the wrong algorithm, and fails closed.
    if (alg.value() != key->alg()) {
      return ManifestError{Failure::kUnsupportedAlg,
                           path + ".alg: '" + entry.alg + "' does not match key " + entry.keyid +
                               " (" + std::string(crypto::KeyAlgName(key->alg())) + ")"};
    }
    if (!key->Verify(crypto::AsBytes(signed_bytes), entry.sig)) {
      return ManifestError{Failure::kBadSignature,
                           path + ": signature by trusted key " + entry.keyid + " does not verify"};
    }
    verified.insert(entry.keyid);
  }
  if (verified.size() < threshold) {
    if (verified.empty() && threshold == 1) {
      return ManifestError{Failure::kUnknownKey, what + " signatures: none is by a trusted key"};
    }
    return ManifestError{Failure::kUnknownKey,
                         what + " signatures: " + std::to_string(verified.size()) + " of the " +
                             std::to_string(threshold) + " required trusted keys signed"};
  }
  return std::nullopt;
}

ManifestResult<TrustedRoot> ParseSelfSignedRoot(std::string_view document) {
  try {
    auto envelope = ParseEnvelope(document);
    if (!envelope) return envelope.error();
    if (!envelope.value().root_updates.empty() || !envelope.value().keys.empty()) {
      return Malformed("root document: root_updates and keys do not belong in a root");
    }
    auto root = ParseRoot(envelope.value().signed_bytes);
    if (!root) return root.error();
    TrustedRoot trusted;
    trusted.root = std::move(root.value());
    trusted.document = std::string(document);
    for (const RootKey& k : trusted.root.keys) {
      auto key = crypto::PublicKey::FromPem(k.public_pem);
      if (!key) return Malformed(RootName(trusted.root) + ": key " + k.keyid + ": " + key.error().message());
      trusted.keys.push_back(std::move(key).value());
    }
    // Its own keys must have signed it: whoever publishes a root proves it holds the new keys.
    if (auto refused = CheckSignatures(envelope.value().signed_bytes, envelope.value().signatures,
                                       trusted.keys, trusted.root.threshold,
                                       RootName(trusted.root) + " (by its own keys)")) {
      return *refused;
    }
    return trusted;
  } catch (const std::exception& e) {
    return Malformed(std::string("root document: ") + e.what());
  }
}

RootChain::RootChain(TrustedRoot root) { roots_.push_back(std::move(root)); }

ManifestResult<RootChain> RootChain::FromProvisioned(std::string_view document) {
  auto root = ParseSelfSignedRoot(document);
  if (!root) return root.error();
  return RootChain(std::move(root.value()));
}

ManifestResult<bool> RootChain::Apply(std::string_view document, SysTime now) {
  try {
    auto envelope = ParseEnvelope(document);
    if (!envelope) return envelope.error();
    auto peek = ParseRoot(envelope.value().signed_bytes);
    if (!peek) return peek.error();
    const TrustedRoot& current = this->current();
    if (peek.value().version <= current.root.version) return false;  // already known
    if (peek.value().version != current.root.version + 1) {
      // Nothing the device trusts signed the versions in between: not authorised.
      return ManifestError{Failure::kUnknownKey,
                           RootName(peek.value()) + ": the device has root v" +
                               std::to_string(current.root.version) +
                               "; roots apply one version at a time"};
    }
    // Authorised by the keys we trust now ...
    if (auto refused = CheckSignatures(envelope.value().signed_bytes, envelope.value().signatures,
                                       current.keys, current.root.threshold,
                                       RootName(peek.value()) + " (by root v" +
                                           std::to_string(current.root.version) + " keys)")) {
      return *refused;
    }
    // ... and by its own keys.
    auto next = ParseSelfSignedRoot(document);
    if (!next) return next.error();
    auto expires = ParseRfc3339(next.value().root.expires);
    if (!expires || *expires <= now) {
      return ManifestError{Failure::kUnknownKey, RootName(next.value().root) + ": expired " +
                                                     next.value().root.expires + ", now " +
                                                     FormatRfc3339(now)};
    }
    roots_.push_back(std::move(next.value()));
    return true;
  } catch (const std::exception& e) {
    return Malformed(std::string("root update: ") + e.what());
  }
}

ManifestResult<Manifest> RootChain::VerifyManifest(const Envelope& envelope) const {
  try {
    if (envelope.signatures.empty()) {
      return ManifestError{Failure::kNoSignature, "signatures: the envelope carries no signature"};
    }
    const TrustedRoot& root = current();
    if (auto refused = CheckSignatures(envelope.signed_bytes, envelope.signatures, root.keys,
                                       root.root.threshold, "manifest")) {
      refused->detail += " (root v" + std::to_string(root.root.version) + ")";
      return *refused;
    }
    return ParseManifest(envelope.signed_bytes);
  } catch (const std::exception& e) {
    return Malformed(std::string("verify: ") + e.what());
  }
}

}  // namespace otasim::manifest
