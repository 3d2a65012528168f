#define BOOST_TEST_MODULE envelope
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "otasim/manifest.hpp"

namespace m = otasim::manifest;
namespace c = otasim::crypto;
using Json = nlohmann::json;

namespace {

m::Envelope Sample() {
  m::Envelope envelope;
  envelope.signed_bytes = "{\"hello\":\"world\"}";
  envelope.signatures.push_back({std::string(64, 'b'), "ed25519", c::Bytes{1, 2, 3, 4, 5}});
  envelope.signatures.push_back({std::string(64, 'c'), "ecdsa-p256-sha256", c::Bytes{0x30, 0}});
  return envelope;
}

Json SampleJson() { return Json::parse(m::ToJson(Sample())); }

void ExpectMalformed(const std::string& text, const std::string& field) {
  auto r = m::ParseEnvelope(text);
  BOOST_REQUIRE_MESSAGE(!r.ok(), "accepted: " << text.substr(0, 200));
  BOOST_TEST((r.error().failure == m::Failure::kMalformed));
  BOOST_TEST(r.error().detail.rfind(field, 0) == 0u, "detail '" << r.error().detail << "' should name " << field);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(envelope_tests)

BOOST_AUTO_TEST_CASE(round_trip) {
  const std::string text = m::ToJson(Sample());
  BOOST_TEST(text.rfind("{\"signatures\":[{\"alg\":\"ed25519\",\"keyid\":", 0) == 0u);
  auto parsed = m::ParseEnvelope(text);
  BOOST_REQUIRE(parsed.ok());
  BOOST_TEST(parsed.value().signed_bytes == Sample().signed_bytes);
  BOOST_REQUIRE(parsed.value().signatures.size() == 2u);
  BOOST_TEST(parsed.value().signatures[1].alg == "ecdsa-p256-sha256");
  BOOST_TEST(parsed.value().signatures[1].keyid == std::string(64, 'c'));
  BOOST_TEST((parsed.value().signatures[0].sig == c::Bytes{1, 2, 3, 4, 5}));
  BOOST_TEST(m::ToJson(parsed.value()) == text);
}

BOOST_AUTO_TEST_CASE(empty_signatures_parse) {
  Json json = SampleJson();
  json["signatures"] = Json::array();
  auto parsed = m::ParseEnvelope(json.dump());
  BOOST_REQUIRE(parsed.ok());
  BOOST_TEST(parsed.value().signatures.empty());
}

BOOST_AUTO_TEST_CASE(oversize_is_refused_unparsed) {
  // Valid JSON, just too large: refused for its size, not its content.
  Json json = SampleJson();
  json["signed"] = c::Base64Encode(c::Bytes(m::kMaxEnvelopeBytes, 'x'));
  const std::string text = json.dump();
  BOOST_REQUIRE(text.size() > m::kMaxEnvelopeBytes);
  auto r = m::ParseEnvelope(text);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().detail.find("exceeds") != std::string::npos);
  // Garbage of the same size gets the same answer (it was never parsed).
  auto garbage = m::ParseEnvelope(std::string(m::kMaxEnvelopeBytes + 1, '{'));
  BOOST_REQUIRE(!garbage.ok());
  BOOST_TEST(garbage.error().detail == "envelope: " + std::to_string(m::kMaxEnvelopeBytes + 1) +
                                           " bytes exceeds the limit of " +
                                           std::to_string(m::kMaxEnvelopeBytes));
  // Exactly at the limit is still parsed.
  std::string padded = m::ToJson(Sample());
  padded.append(m::kMaxEnvelopeBytes - padded.size(), ' ');
  BOOST_TEST(m::ParseEnvelope(padded).ok());
}

BOOST_AUTO_TEST_CASE(structure_errors_are_named) {
  ExpectMalformed("", "envelope");
  ExpectMalformed("[1]", "envelope");
  ExpectMalformed("{\"signed\":", "envelope");
  Json json = SampleJson();
  json.erase("signed");
  ExpectMalformed(json.dump(), "signed");
  json = SampleJson();
  json["signed"] = 5;
  ExpectMalformed(json.dump(), "signed");
  json = SampleJson();
  json["signed"] = "not base64!";
  ExpectMalformed(json.dump(), "signed");
  json = SampleJson();
  json["signed"] = "Zg";  // missing padding
  ExpectMalformed(json.dump(), "signed");
  json = SampleJson();
  json.erase("signatures");
  ExpectMalformed(json.dump(), "signatures");
  json = SampleJson();
  json["signatures"] = Json::object();
  ExpectMalformed(json.dump(), "signatures");
  json = SampleJson();
  json["extra"] = 1;
  ExpectMalformed(json.dump(), "extra");
}

BOOST_AUTO_TEST_CASE(signature_entry_errors_are_named) {
  Json json = SampleJson();
  json["signatures"][1] = "sig";
  ExpectMalformed(json.dump(), "signatures[1]");
  for (const char* field : {"keyid", "alg", "sig"}) {
    json = SampleJson();
    json["signatures"][0].erase(field);
    ExpectMalformed(json.dump(), std::string("signatures[0].") + field);
    json = SampleJson();
    json["signatures"][1][field] = 17;
    ExpectMalformed(json.dump(), std::string("signatures[1].") + field);
  }
  json = SampleJson();
  json["signatures"][0]["sig"] = "AQID BA==";
  ExpectMalformed(json.dump(), "signatures[0].sig");
  json = SampleJson();
  json["signatures"][0]["comment"] = "x";
  ExpectMalformed(json.dump(), "signatures[0].comment");
}

BOOST_AUTO_TEST_CASE(duplicate_keys_are_refused) {
  const std::string text = "{\"signed\":\"e30=\",\"signed\":\"W10=\",\"signatures\":[]}";
  auto r = m::ParseEnvelope(text);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().detail.find("duplicate key 'signed'") != std::string::npos);
  // The same key in different objects is fine.
  const std::string ok = "{\"signed\":\"e30=\",\"signatures\":[{\"keyid\":\"a\",\"alg\":\"x\",\"sig\":\"\"},"
                         "{\"keyid\":\"a\",\"alg\":\"x\",\"sig\":\"\"}]}";
  BOOST_TEST(m::ParseEnvelope(ok).ok());
}

BOOST_AUTO_TEST_CASE(deep_nesting_does_not_crash) {
  std::string text(30000, '[');
  text += std::string(30000, ']');
  auto r = m::ParseEnvelope(text);
  BOOST_TEST(!r.ok());
}

BOOST_AUTO_TEST_SUITE_END()
