#define BOOST_TEST_MODULE url_test
#include <boost/test/unit_test.hpp>

#include "http_types.hpp"

using otasim::Errc;
using otasim::http::ParseUrl;
using otasim::http::ResolveUrl;
using otasim::http::Url;

namespace {

Url Parse(const std::string& text) {
  auto url = ParseUrl(text);
  BOOST_TEST_REQUIRE(url.ok(), text << ": " << (url.ok() ? "" : url.error().What()));
  return *url;
}

std::string Resolve(const std::string& base, const std::string& reference) {
  auto url = ResolveUrl(Parse(base), reference);
  BOOST_TEST_REQUIRE(url.ok(), reference << ": " << (url.ok() ? "" : url.error().What()));
  return url->ToString();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(url_parse_tests)

BOOST_AUTO_TEST_CASE(parses_scheme_host_port_target) {
  Url url = Parse("https://127.0.0.1:8443/dev-0001/manifest?x=1#frag");
  BOOST_TEST(url.scheme == "https");
  BOOST_TEST(url.host == "127.0.0.1");
  BOOST_TEST(url.port == 8443);
  BOOST_TEST(url.target == "/dev-0001/manifest?x=1");
}

BOOST_AUTO_TEST_CASE(default_ports_and_root_target) {
  BOOST_TEST(Parse("http://example.com").port == 80);
  BOOST_TEST(Parse("http://example.com").target == "/");
  BOOST_TEST(Parse("https://example.com").port == 443);
  BOOST_TEST(Parse("HTTPS://Example.COM:/a").host == "example.com");
  BOOST_TEST(Parse("http://h?q=1").target == "/?q=1");
}

BOOST_AUTO_TEST_CASE(ipv6_literal) {
  Url url = Parse("http://[::1]:8080/x");
  BOOST_TEST(url.host == "::1");
  BOOST_TEST(url.port == 8080);
  BOOST_TEST(url.ToString() == "http://[::1]:8080/x");
}

BOOST_AUTO_TEST_CASE(to_string_omits_default_port) {
  BOOST_TEST(Parse("https://h:443/a").ToString() == "https://h/a");
  BOOST_TEST(Parse("https://h:1/a").ToString() == "https://h:1/a");
  BOOST_TEST(Parse("http://h").ToString() == "http://h/");
}

BOOST_AUTO_TEST_CASE(rejects_bad_urls) {
  for (const char* text : {"", "h/x", "http//h/x", "http://", "http://h:0/", "http://h:65536/",
                           "http://h:12a/", "http://h/a b", "http://[::1/x", "http://u@h/"}) {
    BOOST_TEST(!ParseUrl(text).ok(), text);
  }
  auto ftp = ParseUrl("ftp://h/x");
  BOOST_TEST_REQUIRE(!ftp.ok());
  BOOST_TEST(static_cast<int>(ftp.error().code()) == static_cast<int>(Errc::kUnsupported));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(url_resolve_tests)

BOOST_AUTO_TEST_CASE(relative_path) {
  BOOST_TEST(Resolve("https://h:1/dev-0001/manifest", "images/v2.bin") ==
             "https://h:1/dev-0001/images/v2.bin");
  BOOST_TEST(Resolve("https://h:1/dev-0001/manifest?x=1", "v2.bin") ==
             "https://h:1/dev-0001/v2.bin");
  BOOST_TEST(Resolve("https://h:1/a/b/c", "../d") == "https://h:1/a/d");
  BOOST_TEST(Resolve("https://h:1/a/b/c", "./d/./e") == "https://h:1/a/b/d/e");
  BOOST_TEST(Resolve("https://h:1/a", "../../x") == "https://h:1/x");
  BOOST_TEST(Resolve("https://h:1/a/b/c", "..") == "https://h:1/a/");
}

BOOST_AUTO_TEST_CASE(absolute_path_and_query) {
  BOOST_TEST(Resolve("https://h:1/dev-0001/manifest", "/x") == "https://h:1/x");
  BOOST_TEST(Resolve("https://h:1/dev-0001/manifest", "/a/../b?q") == "https://h:1/b?q");
  BOOST_TEST(Resolve("https://h:1/dev/manifest?old", "?new") == "https://h:1/dev/manifest?new");
  BOOST_TEST(Resolve("https://h:1/dev/manifest", "") == "https://h:1/dev/manifest");
}

BOOST_AUTO_TEST_CASE(absolute_and_scheme_relative) {
  BOOST_TEST(Resolve("https://h:1/dev/manifest", "http://other:8080/i.bin") ==
             "http://other:8080/i.bin");
  BOOST_TEST(Resolve("https://h:1/dev/manifest", "//cdn.example/i.bin") ==
             "https://cdn.example/i.bin");
}

BOOST_AUTO_TEST_SUITE_END()
