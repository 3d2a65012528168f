#define BOOST_TEST_MODULE proxy_attacker_support
#include <boost/test/unit_test.hpp>

#include "attacker_support.hpp"

using otasim::TransportEndpoint;
using otasim::proxy::PointAt;

namespace {

TransportEndpoint Endpoint(const std::string& protocol, nlohmann::json block) {
  TransportEndpoint endpoint;
  endpoint.protocol = protocol;
  endpoint.endpoint = std::move(block);
  return endpoint;
}

}  // namespace

BOOST_AUTO_TEST_CASE(points_the_http_base_url_at_the_relay_keeping_the_path) {
  auto block = PointAt(Endpoint("http", {{"base_url", "https://127.0.0.1:40123/dev-0001"}}), 5555);
  BOOST_TEST_REQUIRE(block.ok());
  BOOST_TEST((*block)["base_url"] == "https://127.0.0.1:5555/dev-0001");
}

BOOST_AUTO_TEST_CASE(can_change_the_scheme_and_keeps_the_other_fields) {
  auto block = PointAt(Endpoint("mqtt", {{"broker", "mqtts://127.0.0.1:8883"}, {"client_id", "d"}}),
                       1883, "mqtt");
  BOOST_TEST_REQUIRE(block.ok());
  BOOST_TEST((*block)["broker"] == "mqtt://127.0.0.1:1883");
  BOOST_TEST((*block)["client_id"] == "d");
}

BOOST_AUTO_TEST_CASE(refuses_a_block_without_its_url) {
  BOOST_TEST(!PointAt(Endpoint("coap", {{"base_url", "coaps://x"}}), 1).ok());
  BOOST_TEST(!PointAt(Endpoint("http", {{"base_url", "no-scheme"}}), 1).ok());
  BOOST_TEST(!PointAt(Endpoint("gopher", {{"url", "gopher://x"}}), 1).ok());
}
