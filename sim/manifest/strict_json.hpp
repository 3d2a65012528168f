// Internal: JSON parsing for untrusted manifest bytes. Unlike plain nlohmann::json::parse it
// refuses duplicate object keys (which parsers resolve differently, a classic bypass) and
// never throws.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "otasim/manifest.hpp"

namespace otasim::manifest {

// `what` names the document in error details ("manifest", "envelope"). Text longer than
// kMaxEnvelopeBytes is refused before parsing, so a huge input costs only that comparison.
ManifestResult<nlohmann::json> ParseStrictJson(std::string_view text, std::string_view what);

// Small helpers for field checks that name the field in the error.
ManifestError Malformed(std::string detail);
std::string JsonTypeName(const nlohmann::json& value);

// Refuses the first key of `object` that is not in `known`; `prefix` is the object's path with
// a trailing dot ("image.") or "" at the top level.
std::optional<ManifestError> RejectUnknown(const nlohmann::json& object,
                                           std::span<const std::string_view> known,
                                           const std::string& prefix);

}  // namespace otasim::manifest
