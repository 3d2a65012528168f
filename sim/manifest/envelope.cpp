// The signed envelope: {"signed": base64, "signatures": [{keyid, alg, sig}]}, optionally with
// "root_updates" (signed root documents, as JSON objects) and "keys" (PEM strings).
#include <array>

#include "otasim/manifest.hpp"
#include "strict_json.hpp"

namespace otasim::manifest {
namespace {

using Json = nlohmann::json;

ManifestResult<std::string> RequireString(const Json& object, std::string_view name,
                                          const std::string& path) {
  auto it = object.find(name);
  if (it == object.end()) return Malformed(path + ": missing");
  if (!it->is_string()) return Malformed(path + ": expected a string, got " + JsonTypeName(*it));
  return it->get<std::string>();
}

ManifestResult<crypto::Bytes> RequireBase64(const Json& object, std::string_view name,
                                            const std::string& path) {
  auto text = RequireString(object, name, path);
  if (!text) return text.error();
  auto bytes = crypto::Base64Decode(text.value());
  if (!bytes) return Malformed(path + ": " + bytes.error().message());
  return std::move(bytes).value();
}

constexpr std::array<std::string_view, 4> kEnvelopeFields = {"signed", "signatures",
                                                             "root_updates", "keys"};
constexpr std::array<std::string_view, 3> kSignatureFields = {"keyid", "alg", "sig"};

ManifestResult<Envelope> ParseEnvelopeJson(const Json& json) {
  if (!json.is_object()) return Malformed("envelope: expected a JSON object, got " + JsonTypeName(json));
  if (auto unknown = RejectUnknown(json, kEnvelopeFields, "")) return *unknown;

  Envelope envelope;
  auto signed_bytes = RequireBase64(json, "signed", "signed");
  if (!signed_bytes) return signed_bytes.error();
  envelope.signed_bytes.assign(signed_bytes.value().begin(), signed_bytes.value().end());

  auto signatures = json.find("signatures");
  if (signatures == json.end()) return Malformed("signatures: missing");
  if (!signatures->is_array()) {
    return Malformed("signatures: expected an array, got " + JsonTypeName(*signatures));
  }
  for (std::size_t i = 0; i < signatures->size(); ++i) {
    const Json& entry = (*signatures)[i];
    const std::string path = "signatures[" + std::to_string(i) + "]";
    if (!entry.is_object()) return Malformed(path + ": expected an object, got " + JsonTypeName(entry));
    if (auto unknown = RejectUnknown(entry, kSignatureFields, path + ".")) return *unknown;
    SignatureEntry signature;
    auto keyid = RequireString(entry, "keyid", path + ".keyid");
    if (!keyid) return keyid.error();
    auto alg = RequireString(entry, "alg", path + ".alg");
    if (!alg) return alg.error();
    auto sig = RequireBase64(entry, "sig", path + ".sig");
    if (!sig) return sig.error();
    signature.keyid = std::move(keyid.value());
    signature.alg = std::move(alg.value());
    signature.sig = std::move(sig.value());
    envelope.signatures.push_back(std::move(signature));
  }

  // Optional. Each root update stays a JSON object on the wire; its signatures cover the
  // decoded "signed" bytes inside it, so re-serialising the object changes nothing they cover.
  if (auto updates = json.find("root_updates"); updates != json.end()) {
    if (!updates->is_array()) {
      return Malformed("root_updates: expected an array, got " + JsonTypeName(*updates));
    }
    for (std::size_t i = 0; i < updates->size(); ++i) {
      const Json& update = (*updates)[i];
      if (!update.is_object()) {
        return Malformed("root_updates[" + std::to_string(i) + "]: expected an object, got " +
                         JsonTypeName(update));
      }
      envelope.root_updates.push_back(update.dump());
    }
  }
  if (auto keys = json.find("keys"); keys != json.end()) {
    if (!keys->is_array()) return Malformed("keys: expected an array, got " + JsonTypeName(*keys));
    for (std::size_t i = 0; i < keys->size(); ++i) {
      const Json& key = (*keys)[i];
      if (!key.is_string()) {
        return Malformed("keys[" + std::to_string(i) + "]: expected a PEM string, got " +
                         JsonTypeName(key));
      }
      envelope.keys.push_back(key.get<std::string>());
    }
  }
  return envelope;
}

}  // namespace

std::string ToJson(const Envelope& envelope) {
  try {
    Json signatures = Json::array();
    for (const auto& s : envelope.signatures) {
      signatures.push_back(Json{{"keyid", s.keyid}, {"alg", s.alg}, {"sig", crypto::Base64Encode(s.sig)}});
    }
    Json json = {{"signed", crypto::Base64Encode(crypto::AsBytes(envelope.signed_bytes))},
                 {"signatures", std::move(signatures)}};
    // Absent when empty, so envelopes without them are byte-for-byte what they always were.
    if (!envelope.root_updates.empty()) {
      Json updates = Json::array();
      for (const auto& update : envelope.root_updates) {
        // Not parseable JSON is kept as a string so the device refuses it by name.
        Json parsed = Json::parse(update, nullptr, /*allow_exceptions=*/false);
        updates.push_back(parsed.is_discarded() ? Json(update) : std::move(parsed));
      }
      json["root_updates"] = std::move(updates);
    }
    if (!envelope.keys.empty()) json["keys"] = envelope.keys;
    return json.dump(-1, ' ', false, Json::error_handler_t::replace);
  } catch (const std::exception&) {
    return {};  // only on allocation failure
  }
}

ManifestResult<Envelope> ParseEnvelope(std::string_view json_text) {
  try {
    auto json = ParseStrictJson(json_text, "envelope");
    if (!json) return json.error();
    return ParseEnvelopeJson(json.value());
  } catch (const std::exception& e) {
    return Malformed(std::string("envelope: ") + e.what());
  }
}

}  // namespace otasim::manifest
