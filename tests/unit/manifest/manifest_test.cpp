#define BOOST_TEST_MODULE manifest
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "otasim/manifest.hpp"

namespace m = otasim::manifest;
using Json = nlohmann::json;

namespace {

m::Manifest Sample() {
  m::Manifest manifest;
  manifest.vendor_id = "acme";
  manifest.class_id = "thermostat-v1";
  manifest.version = "2.1.0";
  manifest.sequence = 42;
  manifest.image.digest = std::string(64, 'a');
  manifest.image.size = 1048576;
  manifest.image.uri = "images/v2.bin";
  manifest.issued = "2026-11-28T06:00:00Z";
  manifest.expires = "2026-12-28T06:00:00Z";
  return manifest;
}

Json SampleJson() { return Json::parse(m::ToJson(Sample())); }

// Parses `json` and expects a refusal of kind `failure` whose detail starts with `field`.
void ExpectRefusal(const std::string& bytes, m::Failure failure, const std::string& field) {
  auto r = m::ParseManifest(bytes);
  BOOST_REQUIRE_MESSAGE(!r.ok(), "accepted: " << bytes);
  BOOST_TEST((r.error().failure == failure), r.error().detail);
  BOOST_TEST(r.error().detail.rfind(field, 0) == 0u, "detail '" << r.error().detail << "' should name " << field);
}

void ExpectMalformed(const Json& json, const std::string& field) {
  ExpectRefusal(json.dump(), m::Failure::kMalformed, field);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(manifest_tests)

BOOST_AUTO_TEST_CASE(round_trip) {
  m::Manifest manifest = Sample();
  manifest.nonce = "n-123";
  const std::string json = m::ToJson(manifest);
  auto parsed = m::ParseManifest(json);
  BOOST_REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? "" : parsed.error().detail));
  const m::Manifest& p = parsed.value();
  BOOST_TEST(p.format == "otasim-manifest/1");
  BOOST_TEST(p.vendor_id == "acme");
  BOOST_TEST(p.class_id == "thermostat-v1");
  BOOST_TEST(p.version == "2.1.0");
  BOOST_TEST(p.sequence == 42u);
  BOOST_TEST(p.image.digest == std::string(64, 'a'));
  BOOST_TEST(p.image.size == 1048576u);
  BOOST_TEST(p.image.uri == "images/v2.bin");
  BOOST_TEST(p.issued == "2026-11-28T06:00:00Z");
  BOOST_TEST(p.expires == "2026-12-28T06:00:00Z");
  BOOST_REQUIRE(p.nonce.has_value());
  BOOST_TEST(*p.nonce == "n-123");
  BOOST_TEST(m::ToJson(p) == json);  // stable
  BOOST_TEST(!m::ParseManifest(m::ToJson(Sample())).value().nonce.has_value());
}

BOOST_AUTO_TEST_CASE(output_is_compact_with_sorted_keys) {
  const std::string json = m::ToJson(Sample());
  BOOST_TEST(json.find(' ') == std::string::npos);
  BOOST_TEST(json.find('\n') == std::string::npos);
  BOOST_TEST(json.rfind("{\"class_id\":", 0) == 0u);
  BOOST_TEST(json.find("\"expires\"") < json.find("\"format\""));
  BOOST_TEST(json.find("\"image\":{\"digest\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(full_range_sequence) {
  m::Manifest manifest = Sample();
  manifest.sequence = UINT64_MAX;
  auto parsed = m::ParseManifest(m::ToJson(manifest));
  BOOST_REQUIRE(parsed.ok());
  BOOST_TEST(parsed.value().sequence == UINT64_MAX);
  // One more does not fit 64 bits.
  std::string text = m::ToJson(manifest);
  const std::string max = "18446744073709551615";
  text.replace(text.find(max), max.size(), "18446744073709551616");
  ExpectRefusal(text, m::Failure::kMalformed, "sequence");
}

BOOST_AUTO_TEST_CASE(missing_fields_are_named) {
  for (const char* field : {"vendor_id", "class_id", "version", "sequence", "image", "issued", "expires"}) {
    Json json = SampleJson();
    json.erase(field);
    ExpectMalformed(json, field);
  }
  for (const char* field : {"digest", "size", "uri"}) {
    Json json = SampleJson();
    json["image"].erase(field);
    ExpectMalformed(json, std::string("image.") + field);
  }
  Json json = SampleJson();
  json.erase("format");
  ExpectMalformed(json, "format");
}

BOOST_AUTO_TEST_CASE(wrong_types_are_named) {
  const std::vector<std::pair<std::string, Json>> cases = {
      {"vendor_id", 5},          {"class_id", nullptr},   {"version", Json::array()},
      {"sequence", -1},          {"sequence", 1.5},       {"sequence", "42"},
      {"sequence", true},        {"sequence", 1e30},      {"image", "x"},
      {"issued", 1700000000},    {"expires", Json::object()}, {"nonce", 7},
      {"nonce", nullptr},
  };
  for (const auto& [field, value] : cases) {
    Json json = SampleJson();
    json[field] = value;
    ExpectMalformed(json, field);
  }
  for (const auto& [field, value] : std::vector<std::pair<std::string, Json>>{
           {"size", -5}, {"size", "100"}, {"size", 10.0}, {"digest", 0}, {"uri", false}}) {
    Json json = SampleJson();
    json["image"][field] = value;
    ExpectMalformed(json, "image." + field);
  }
}

BOOST_AUTO_TEST_CASE(size_error_message) {
  Json json = SampleJson();
  json["image"]["size"] = "big";
  auto r = m::ParseManifest(json.dump());
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().detail.rfind("image.size: expected an unsigned integer", 0) == 0u);
  BOOST_TEST(r.error().ToError().message().rfind("malformed: image.size", 0) == 0u);
  BOOST_TEST((r.error().ToError().code() == otasim::Errc::kParse));
}

BOOST_AUTO_TEST_CASE(bad_values_are_named) {
  const std::vector<std::pair<std::string, Json>> cases = {
      {"vendor_id", ""},          {"class_id", ""},
      {"version", ""},            {"version", "2.1"},      {"version", "v2.1.0"},
      {"version", "01.2.3"},      {"version", "1.2.3-"},   {"issued", "yesterday"},
      {"issued", "2026-11-28"},   {"expires", "2026-02-30T00:00:00Z"},
  };
  for (const auto& [field, value] : cases) {
    Json json = SampleJson();
    json[field] = value;
    ExpectMalformed(json, field);
  }
  for (const std::string& digest : {std::string(64, 'A'), std::string(63, 'a'), std::string(65, 'a'),
                                    std::string(64, 'g'), std::string()}) {
    Json json = SampleJson();
    json["image"]["digest"] = digest;
    ExpectMalformed(json, "image.digest");
  }
  Json json = SampleJson();
  json["image"]["uri"] = "";
  ExpectMalformed(json, "image.uri");
}

BOOST_AUTO_TEST_CASE(valid_variants_are_accepted) {
  Json json = SampleJson();
  json["version"] = "1.0.0-rc.1+build.5";
  json["issued"] = "2026-11-28T08:00:00.123+02:00";
  json["image"]["size"] = 0;
  json["sequence"] = 0;
  auto r = m::ParseManifest(json.dump(2));  // whitespace is fine on input
  BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().detail));
  BOOST_TEST(r.value().issued == "2026-11-28T08:00:00.123+02:00");  // kept as signed
}

BOOST_AUTO_TEST_CASE(unknown_fields_are_refused) {
  Json json = SampleJson();
  json["rollback_ok"] = true;
  ExpectMalformed(json, "rollback_ok");
  json = SampleJson();
  json["image"]["sha1"] = "x";
  ExpectMalformed(json, "image.sha1");
}

BOOST_AUTO_TEST_CASE(other_format_is_bad_format) {
  Json json = SampleJson();
  json["format"] = "otasim-manifest/2";
  ExpectRefusal(json.dump(), m::Failure::kBadFormat, "format");
  json["format"] = "";
  ExpectRefusal(json.dump(), m::Failure::kBadFormat, "format");
  json["format"] = 1;
  ExpectRefusal(json.dump(), m::Failure::kMalformed, "format");
}

BOOST_AUTO_TEST_CASE(not_json_or_not_object) {
  for (const std::string& bad : std::vector<std::string>{"", "{", "null", "[]", "\"manifest\"", "42", "{}x",
                                std::string("{\"format\":\"\xff\"}")}) {
    auto r = m::ParseManifest(bad);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST((r.error().failure == m::Failure::kMalformed));
    BOOST_TEST(!r.error().detail.empty());
  }
}

BOOST_AUTO_TEST_CASE(duplicate_keys_are_refused) {
  std::string text = m::ToJson(Sample());
  // Append a second "sequence": parsers disagree on which one wins, so neither may.
  text.insert(text.size() - 1, ",\"sequence\":0");
  auto r = m::ParseManifest(text);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().detail.find("duplicate key 'sequence'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(failure_names) {
  BOOST_TEST(m::FailureName(m::Failure::kBadSignature) == "bad-signature");
  BOOST_TEST(m::FailureName(m::Failure::kUnknownKey) == "unknown-key");
  const m::ManifestError error{m::Failure::kNoSignature, "signatures: none"};
  BOOST_TEST((error.ToError().code() == otasim::Errc::kSignature));
  BOOST_TEST(error.ToError().message() == "no-signature: signatures: none");
  BOOST_TEST((m::ManifestError{m::Failure::kBadFormat, "x"}.ToError().code() == otasim::Errc::kParse));
}

BOOST_AUTO_TEST_SUITE_END()
