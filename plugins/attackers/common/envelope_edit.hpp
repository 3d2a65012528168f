// Editing signed manifest envelopes the way an attacker would: change the signed bytes while
// keeping the signatures, drop or corrupt signatures, or re-sign with a key nobody trusts.
// Works on the raw JSON so that edits the manifest library would refuse are still possible.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "otasim/crypto.hpp"
#include "otasim/result.hpp"

namespace otasim::attackers {

// An envelope opened for editing: the envelope JSON and the manifest JSON its "signed" holds.
struct OpenEnvelope {
  nlohmann::json envelope;
  nlohmann::json manifest;
};

Result<OpenEnvelope> OpenForEdit(std::string_view envelope_text);

// Sets the value at a dotted path ("image.size"), creating missing objects on the way.
Status SetField(nlohmann::json& manifest, std::string_view dotted_path, nlohmann::json value);

// Text from a scenario: its JSON value if it parses ("5", "true", "{}"), else a JSON string.
nlohmann::json ParseValue(std::string_view text);

// Re-encodes `opened.manifest` into "signed"; the signatures stay as they were.
Status StoreManifest(OpenEnvelope& opened);

// Flips one bit of the first signature; kNotFound when there is none.
Status CorruptFirstSignature(nlohmann::json& envelope);

// Replaces every signature with one by `key` over the current "signed" bytes.
Status SignOnlyWith(nlohmann::json& envelope, const crypto::PrivateKey& key);

// The envelope as text to serve; kParse if it can't be serialised (invalid UTF-8).
Result<std::string> Serialize(const nlohmann::json& envelope);

}  // namespace otasim::attackers
