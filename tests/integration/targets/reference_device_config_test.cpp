// The reference device's protocol choice and endpoint blocks: every configuration error is
// exit 2 and names the field, before any network traffic.
#define BOOST_TEST_MODULE reference_device_config
#include <boost/test/unit_test.hpp>

#include "device_harness.hpp"

using namespace device_test;

namespace {

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct ConfigFixture : DeviceFixture {
  // Provisions, then replaces `protocol` and `endpoints` and runs a check.
  ProcessResult CheckWith(const json& protocol, const json& endpoints) {
    Provision(v1());
    Config()["protocol"] = protocol;
    Config()["endpoints"] = endpoints;
    SaveConfig();
    return Device("check");
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(reference_device_config, ConfigFixture)

BOOST_AUTO_TEST_CASE(unknown_protocol_is_named) {
  const auto check = CheckWith("ftp", json::object());
  BOOST_TEST(check.exit_code == 2);
  BOOST_TEST(Contains(check.err, "protocol: 'ftp' is not one of http, coap, mqtt"));
}

BOOST_AUTO_TEST_CASE(missing_block_of_the_chosen_protocol_is_named) {
  // Only the chosen protocol's block counts: an http block does not serve coap.
  const auto check = CheckWith("coap", {{"http", {{"base_url", "https://127.0.0.1:1/x"}}}});
  BOOST_TEST(check.exit_code == 2);
  BOOST_TEST(Contains(check.err, "endpoints.coap: missing"));
}

BOOST_AUTO_TEST_CASE(coap_security_that_does_not_fit_the_scheme_is_named) {
  const auto check =
      CheckWith("coap", {{"coap", {{"base_uri", "coap://127.0.0.1:5683/d"}, {"security", "psk"}}}});
  BOOST_TEST(check.exit_code == 2);
  BOOST_TEST(Contains(check.err, "endpoints.coap.security"));
}

BOOST_AUTO_TEST_CASE(coap_block_size_must_be_a_power_of_two) {
  const auto check =
      CheckWith("coap", {{"coap", {{"base_uri", "coap://127.0.0.1:5683/d"}, {"block_size", 1000}}}});
  BOOST_TEST(check.exit_code == 2);
  BOOST_TEST(Contains(check.err, "endpoints.coap.block_size"));
}

BOOST_AUTO_TEST_CASE(coap_psk_file_that_is_not_hex_is_named) {
  WriteText(root() / "bad.psk", "not hex at all\n");
  const auto check = CheckWith(
      "coap", {{"coap",
                {{"base_uri", "coaps://127.0.0.1:5684/d"},
                 {"security", "psk"},
                 {"psk_identity", "dev-0001"},
                 {"psk_file", (root() / "bad.psk").string()}}}});
  BOOST_TEST(check.exit_code == 2);
  BOOST_TEST(Contains(check.err, "endpoints.coap.psk_file"));
}

BOOST_AUTO_TEST_CASE(mqtt_broker_scheme_and_topic_root_are_named) {
  const auto scheme =
      CheckWith("mqtt", {{"mqtt", {{"broker", "tcp://127.0.0.1:1883"}, {"topic_root", "a/b"}}}});
  BOOST_TEST(scheme.exit_code == 2);
  BOOST_TEST(Contains(scheme.err, "endpoints.mqtt.broker"));

  Config()["endpoints"] = {{"mqtt", {{"broker", "mqtt://127.0.0.1:1883"}, {"topic_root", "a/#"}}}};
  SaveConfig();
  const auto wildcard = Device("check");
  BOOST_TEST(wildcard.exit_code == 2);
  BOOST_TEST(Contains(wildcard.err, "endpoints.mqtt.topic_root"));
}

BOOST_AUTO_TEST_CASE(mqtt_password_file_that_cannot_be_read_is_named) {
  const auto check = CheckWith(
      "mqtt", {{"mqtt",
                {{"broker", "mqtt://127.0.0.1:1883"},
                 {"topic_root", "otasim/dev-0001"},
                 {"password_file", (root() / "missing.pass").string()}}}});
  BOOST_TEST(check.exit_code == 2);
  BOOST_TEST(Contains(check.err, "endpoints.mqtt.password_file"));
}

BOOST_AUTO_TEST_CASE(unreachable_coap_server_is_a_timeout_not_a_hang) {
  // Nothing listens on this port: plain CoAP hears nothing (or an ICMP error) until the deadline.
  Config()["limits"]["timeout_ms"] = 500;
  const auto check = CheckWith("coap", {{"coap", {{"base_uri", "coap://127.0.0.1:9/dev-0001"}}}});
  BOOST_TEST(check.exit_code == 30);
  const std::string reason = State()["last_reason"].get<std::string>();
  BOOST_TEST((reason == "timeout" || reason == "network"), "reason " << reason);
}

BOOST_AUTO_TEST_SUITE_END()
