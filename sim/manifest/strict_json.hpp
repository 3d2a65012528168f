// Internal: JSON parsing for untrusted manifest bytes. Unlike plain nlohmann::json::parse it
// refuses duplicate object keys (which parsers resolve differently, a classic bypass) and
// never throws.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "otasim/manifest.hpp"

namespace otasim::manifest {

// `what` names the document in error details ("manifest", "envelope").
ManifestResult<nlohmann::json> ParseStrictJson(std::string_view text, std::string_view what);

// Small helpers for field checks that name the field in the error.
ManifestError Malformed(std::string detail);
std::string JsonTypeName(const nlohmann::json& value);

}  // namespace otasim::manifest
