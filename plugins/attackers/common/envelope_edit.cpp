#include "common/envelope_edit.hpp"

#include <exception>
#include <string>
#include <utility>

namespace otasim::attackers {
namespace {

Result<std::string> SignedBytes(const nlohmann::json& envelope) {
  if (!envelope.is_object() || !envelope.contains("signed") || !envelope["signed"].is_string()) {
    return MakeError(Errc::kParse, "envelope has no \"signed\" string");
  }
  OTASIM_TRY(crypto::Bytes bytes, crypto::Base64Decode(envelope["signed"].get<std::string>()));
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace

Result<OpenEnvelope> OpenForEdit(std::string_view envelope_text) {
  OpenEnvelope opened;
  opened.envelope = nlohmann::json::parse(envelope_text, nullptr, /*allow_exceptions=*/false);
  if (opened.envelope.is_discarded()) return MakeError(Errc::kParse, "envelope is not JSON");
  OTASIM_TRY(std::string signed_bytes, SignedBytes(opened.envelope));
  opened.manifest = nlohmann::json::parse(signed_bytes, nullptr, false);
  if (opened.manifest.is_discarded() || !opened.manifest.is_object()) {
    return MakeError(Errc::kParse, "signed manifest is not a JSON object");
  }
  return opened;
}

Status SetField(nlohmann::json& manifest, std::string_view dotted_path, nlohmann::json value) {
  if (dotted_path.empty()) return MakeError(Errc::kInvalidArgument, "empty field path");
  nlohmann::json* node = &manifest;
  std::string_view rest = dotted_path;
  while (true) {
    auto dot = rest.find('.');
    std::string key(rest.substr(0, dot));
    if (key.empty()) {
      return MakeError(Errc::kInvalidArgument,
                       "bad field path \"" + std::string(dotted_path) + "\"");
    }
    if (!node->is_object()) {
      return MakeError(Errc::kInvalidArgument, "field path \"" + std::string(dotted_path) +
                                                   "\" goes through a non-object");
    }
    if (dot == std::string_view::npos) {
      (*node)[key] = std::move(value);
      return {};
    }
    node = &(*node)[key];  // creates an empty object when missing
    if (node->is_null()) *node = nlohmann::json::object();
    rest = rest.substr(dot + 1);
  }
}

nlohmann::json ParseValue(std::string_view text) {
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (parsed.is_discarded()) return nlohmann::json(std::string(text));
  return parsed;
}

Status StoreManifest(OpenEnvelope& opened) {
  OTASIM_TRY(std::string bytes, Serialize(opened.manifest));
  opened.envelope["signed"] = crypto::Base64Encode(crypto::AsBytes(bytes));
  return {};
}

Status CorruptFirstSignature(nlohmann::json& envelope) {
  auto it = envelope.find("signatures");
  if (it == envelope.end() || !it->is_array() || it->empty() || !(*it)[0].is_object() ||
      !(*it)[0].contains("sig") || !(*it)[0]["sig"].is_string()) {
    return MakeError(Errc::kNotFound, "the envelope has no signature to corrupt");
  }
  nlohmann::json& sig = (*it)[0]["sig"];
  OTASIM_TRY(crypto::Bytes bytes, crypto::Base64Decode(sig.get<std::string>()));
  if (bytes.empty()) return MakeError(Errc::kNotFound, "the first signature is empty");
  bytes[bytes.size() / 2] ^= 0x01;  // a bit in the middle: a well-formed but wrong signature
  sig = crypto::Base64Encode(bytes);
  return {};
}

Status SignOnlyWith(nlohmann::json& envelope, const crypto::PrivateKey& key) {
  OTASIM_TRY(std::string signed_bytes, SignedBytes(envelope));
  OTASIM_TRY(crypto::Bytes sig, key.Sign(crypto::AsBytes(signed_bytes)));
  nlohmann::json signature = {{"keyid", key.Public().KeyId()},
                               {"alg", std::string(crypto::KeyAlgName(key.alg()))},
                               {"sig", crypto::Base64Encode(sig)}};
  envelope["signatures"] = nlohmann::json::array({std::move(signature)});
  return {};
}

Result<std::string> Serialize(const nlohmann::json& envelope) {
  try {
    return envelope.dump();
  } catch (const std::exception& e) {
    return MakeError(Errc::kParse, std::string("can't serialise JSON: ") + e.what());
  }
}

}  // namespace otasim::attackers
