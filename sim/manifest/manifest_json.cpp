// The manifest's JSON form: stable output, strict input (every refusal names its field).
#include <algorithm>
#include <array>

#include "otasim/manifest.hpp"
#include "otasim/time.hpp"
#include "strict_json.hpp"

namespace otasim::manifest {
namespace {

using Json = nlohmann::json;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnumOrHyphen(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

// Dot-separated non-empty identifiers of [0-9A-Za-z-].
bool IsIdentifierList(std::string_view text) {
  if (text.empty()) return false;
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = text.find('.', start);
    std::string_view part = text.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (part.empty() || !std::all_of(part.begin(), part.end(), IsAlnumOrHyphen)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// Semantic Versioning 2.0: MAJOR.MINOR.PATCH[-prerelease][+build], no leading zeros.
bool IsSemver(std::string_view text) {
  std::size_t plus = text.find('+');
  if (plus != std::string_view::npos) {
    if (!IsIdentifierList(text.substr(plus + 1))) return false;
    text = text.substr(0, plus);
  }
  std::size_t hyphen = text.find('-');
  if (hyphen != std::string_view::npos) {
    if (!IsIdentifierList(text.substr(hyphen + 1))) return false;
    text = text.substr(0, hyphen);
  }
  int parts = 0;
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = text.find('.', start);
    std::string_view part = text.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (part.empty() || !std::all_of(part.begin(), part.end(), IsDigit)) return false;
    if (part.size() > 1 && part[0] == '0') return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts == 3;
}

bool IsLowerHex64(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return IsDigit(c) || (c >= 'a' && c <= 'f');
         });
}

// Field readers: each names the field (with its path) in the refusal.
class FieldReader {
 public:
  FieldReader(const Json& object, std::string prefix) : object_(object), prefix_(std::move(prefix)) {}

  const Json* Find(std::string_view name) const {
    auto it = object_.find(name);
    return it == object_.end() ? nullptr : &*it;
  }

  ManifestResult<std::string> String(std::string_view name, bool allow_empty = false) const {
    const Json* value = Find(name);
    if (value == nullptr) return Missing(name);
    if (!value->is_string()) return Wrong(name, "a string", *value);
    const auto& text = value->get_ref<const std::string&>();
    if (text.empty() && !allow_empty) return Malformed(Path(name) + ": must not be empty");
    return text;
  }

  ManifestResult<std::uint64_t> Unsigned(std::string_view name) const {
    const Json* value = Find(name);
    if (value == nullptr) return Missing(name);
    // nlohmann stores non-negative integers as unsigned; negative ones, floats and integers
    // beyond 64 bits (parsed as floats) are refused.
    if (!value->is_number_unsigned()) return Wrong(name, "an unsigned integer", *value);
    return value->get<std::uint64_t>();
  }

  ManifestResult<std::string> Time(std::string_view name) const {
    auto text = String(name);
    if (!text) return text;
    if (auto parsed = ParseRfc3339(text.value()); !parsed) {
      return Malformed(Path(name) + ": not an RFC 3339 time: '" + text.value() + "'");
    }
    return text;
  }

  std::string Path(std::string_view name) const { return prefix_ + std::string(name); }

 private:
  ManifestError Missing(std::string_view name) const {
    return Malformed(Path(name) + ": missing");
  }
  ManifestError Wrong(std::string_view name, std::string_view expected, const Json& got) const {
    return Malformed(Path(name) + ": expected " + std::string(expected) + ", got " +
                     JsonTypeName(got) + (got.is_number() ? " " + got.dump() : ""));
  }

  const Json& object_;
  std::string prefix_;
};

constexpr std::array<std::string_view, 9> kManifestFields = {
    "format", "vendor_id", "class_id", "version", "sequence", "image", "issued", "expires", "nonce"};
constexpr std::array<std::string_view, 3> kImageFields = {"digest", "size", "uri"};

#define OTASIM_FIELD(decl, expr)                  \
  auto OTASIM_CONCAT(field_, __LINE__) = (expr);  \
  if (!OTASIM_CONCAT(field_, __LINE__).ok())      \
    return OTASIM_CONCAT(field_, __LINE__).error(); \
  decl = std::move(OTASIM_CONCAT(field_, __LINE__).value())

ManifestResult<Manifest> ParseManifestJson(const Json& json) {
  if (!json.is_object()) return Malformed("manifest: expected a JSON object, got " + JsonTypeName(json));
  const FieldReader fields(json, "");

  // The format decides what the other fields mean, so it is checked first.
  OTASIM_FIELD(std::string format, fields.String("format", true));
  if (format != kFormat) {
    return ManifestError{Failure::kBadFormat,
                         "format: '" + format + "' is not " + std::string(kFormat)};
  }
  if (auto unknown = RejectUnknown(json, kManifestFields, "")) return *unknown;

  Manifest manifest;
  manifest.format = format;
  OTASIM_FIELD(manifest.vendor_id, fields.String("vendor_id"));
  OTASIM_FIELD(manifest.class_id, fields.String("class_id"));
  OTASIM_FIELD(manifest.version, fields.String("version"));
  if (!IsSemver(manifest.version)) {
    return Malformed("version: '" + manifest.version + "' is not a semantic version (1.2.3)");
  }
  OTASIM_FIELD(manifest.sequence, fields.Unsigned("sequence"));

  const Json* image = fields.Find("image");
  if (image == nullptr) return Malformed("image: missing");
  if (!image->is_object()) return Malformed("image: expected an object, got " + JsonTypeName(*image));
  if (auto unknown = RejectUnknown(*image, kImageFields, "image.")) return *unknown;
  const FieldReader image_fields(*image, "image.");
  OTASIM_FIELD(manifest.image.digest, image_fields.String("digest"));
  if (!IsLowerHex64(manifest.image.digest)) {
    return Malformed("image.digest: expected 64 lower-case hex digits (sha256)");
  }
  OTASIM_FIELD(manifest.image.size, image_fields.Unsigned("size"));
  OTASIM_FIELD(manifest.image.uri, image_fields.String("uri"));

  OTASIM_FIELD(manifest.issued, fields.Time("issued"));
  OTASIM_FIELD(manifest.expires, fields.Time("expires"));
  if (fields.Find("nonce") != nullptr) {
    OTASIM_FIELD(manifest.nonce, fields.String("nonce"));
  }
  return manifest;
}

#undef OTASIM_FIELD

}  // namespace

std::string ToJson(const Manifest& manifest) {
  try {
    Json json = {
        {"format", manifest.format},
        {"vendor_id", manifest.vendor_id},
        {"class_id", manifest.class_id},
        {"version", manifest.version},
        {"sequence", manifest.sequence},
        {"image", {{"digest", manifest.image.digest}, {"size", manifest.image.size}, {"uri", manifest.image.uri}}},
        {"issued", manifest.issued},
        {"expires", manifest.expires},
    };
    if (manifest.nonce) json["nonce"] = *manifest.nonce;
    // Invalid UTF-8 is replaced rather than thrown: the output stays valid JSON.
    return json.dump(-1, ' ', false, Json::error_handler_t::replace);
  } catch (const std::exception&) {
    return {};  // only on allocation failure
  }
}

ManifestResult<Manifest> ParseManifest(std::string_view json_bytes) {
  try {
    auto json = ParseStrictJson(json_bytes, "manifest");
    if (!json) return json.error();
    return ParseManifestJson(json.value());
  } catch (const std::exception& e) {
    return Malformed(std::string("manifest: ") + e.what());
  }
}

}  // namespace otasim::manifest
