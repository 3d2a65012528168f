#define BOOST_TEST_MODULE http_client_test
#include <boost/test/unit_test.hpp>

#include <future>
#include <optional>
#include <memory>

#include "http_test_util.hpp"
#include "support/temp_dir.hpp"

using namespace http_test;
using otasim::Errc;
using otasim::testing::TempDir;
namespace http = otasim::http;

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

int Code(Errc code) { return static_cast<int>(code); }

// One server and the client options that trust it, plain or TLS.
struct Fixture {
  crypto::CertificateAuthority ca = MakeCa("test CA");

  http::ServerOptions ServerOptions(bool tls) {
    http::ServerOptions options;
    options.io_timeout = milliseconds(2000);
    if (tls) options.tls = TlsConfig(IssueLoopbackServer(ca));
    return options;
  }
  http::ClientOptions ClientOptions() {
    http::ClientOptions options;
    options.ca_pem = ca.cert_pem();
    options.timeout = milliseconds(3000);
    return options;
  }
};

// Collects on_body_end from the server thread.
struct BodyEndProbe {
  std::shared_ptr<std::promise<http::BodyOutcome>> promise =
      std::make_shared<std::promise<http::BodyOutcome>>();
  std::future<http::BodyOutcome> future = promise->get_future();

  std::function<void(const http::BodyOutcome&)> Callback() {
    auto p = promise;
    return [p](const http::BodyOutcome& outcome) { p->set_value(outcome); };
  }
  http::BodyOutcome Wait() {
    BOOST_TEST_REQUIRE((future.wait_for(std::chrono::seconds(5)) == std::future_status::ready),
                       "on_body_end was not called");
    return future.get();
  }
};

// A handler that serves one streamed response built by `make`.
http::Handler Serve(std::function<http::Response()> make) {
  return [make = std::move(make)](const http::Request&) { return make(); };
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(http_client_tests, Fixture)

BOOST_AUTO_TEST_CASE(https_round_trip_by_ip_and_by_name) {
  auto server = Start(ServerOptions(true), [](const http::Request& request) {
    return http::Response::Text(200, "hello " + request.target);
  });
  http::ClientRequest get;
  get.url = server->BaseUrl() + "/manifest";
  auto got = http::Fetch(get, ClientOptions());
  BOOST_TEST_REQUIRE(got.ok(), ErrorText(got));
  BOOST_TEST(got->status == 200);
  BOOST_TEST(got->body == "hello /manifest");
  BOOST_TEST(got->body_complete);

  get.url = "https://localhost:" + std::to_string(server->port()) + "/by-name";
  got = http::Fetch(get, ClientOptions());
  BOOST_TEST_REQUIRE(got.ok(), ErrorText(got));
  BOOST_TEST(got->body == "hello /by-name");
}

BOOST_AUTO_TEST_CASE(rejects_server_certificate_from_another_ca) {
  auto rogue = MakeCa("rogue CA");
  auto options = ServerOptions(false);
  options.tls = TlsConfig(IssueLoopbackServer(rogue));
  auto server = Start(options, [](const http::Request&) { return http::Response::Text(200, "x"); });
  http::ClientRequest get;
  get.url = server->BaseUrl() + "/manifest";
  auto got = http::Fetch(get, ClientOptions());
  BOOST_TEST_REQUIRE(!got.ok());
  BOOST_TEST(Code(got.error().code()) == Code(Errc::kCrypto));
  BOOST_TEST(got.error().message().find("certificate verify failed") != std::string::npos,
             got.error().message());

  // A device that does not verify the peer accepts it (a modelled flaw).
  auto flawed = ClientOptions();
  flawed.verify_peer = false;
  got = http::Fetch(get, flawed);
  BOOST_TEST_REQUIRE(got.ok(), ErrorText(got));
  BOOST_TEST(got->body == "x");
}

BOOST_AUTO_TEST_CASE(rejects_certificate_for_another_host_unless_told_not_to_check) {
  crypto::CertRequest other;
  other.common_name = "other.example";
  other.dns_names = {"other.example"};
  auto options = ServerOptions(false);
  options.tls = TlsConfig(Issue(ca, other));
  auto server = Start(options, [](const http::Request&) { return http::Response::Text(200, "x"); });

  http::ClientRequest get;
  for (std::string host : {"127.0.0.1", "localhost"}) {
    get.url = "https://" + host + ":" + std::to_string(server->port()) + "/manifest";
    auto got = http::Fetch(get, ClientOptions());
    BOOST_TEST_REQUIRE(!got.ok(), host);
    BOOST_TEST(Code(got.error().code()) == Code(Errc::kCrypto));
    BOOST_TEST(got.error().message().find("certificate verify failed") != std::string::npos,
               got.error().message());
    BOOST_TEST_MESSAGE("other host: " << got.error().What());
  }

  auto lax = ClientOptions();
  lax.verify_host = false;
  auto got = http::Fetch(get, lax);
  BOOST_TEST_REQUIRE(got.ok(), ErrorText(got));
  BOOST_TEST(got->body == "x");
}

BOOST_AUTO_TEST_CASE(https_without_trusted_cas_is_refused) {
  http::ClientRequest get;
  get.url = "https://127.0.0.1:1/manifest";
  auto got = http::Fetch(get, http::ClientOptions{});
  BOOST_TEST_REQUIRE(!got.ok());
  BOOST_TEST(Code(got.error().code()) == Code(Errc::kInvalidArgument));
}

BOOST_AUTO_TEST_CASE(streamed_8_mib_body_arrives_intact) {
  TempDir temp("otasim-http-test");
  const std::filesystem::path file = temp.Write("body.bin", RandomBytes(8 * kMiB, 1));
  auto expected = crypto::Sha256FileHex(file);
  BOOST_TEST_REQUIRE(expected.ok());
  for (bool tls : {false, true}) {
    BodyEndProbe probe;
    auto server = Start(ServerOptions(tls), Serve([&] {
      http::Response response;
      auto source = otasim::OpenFileSource(file);
      BOOST_TEST_REQUIRE(source.ok());
      response.stream = std::move(*source);
      response.headers["content-type"] = "application/octet-stream";
      response.on_body_end = probe.Callback();
      return response;
    }));
    crypto::Sha256 hasher;
    std::uint64_t received = 0;
    http::ClientRequest get;
    get.url = server->BaseUrl() + "/image.bin";
    auto got = http::Fetch(get, ClientOptions(), [&](const std::uint8_t* data, std::size_t size) {
      hasher.Update(crypto::ByteView(data, size));
      received += size;
      return true;
    });
    BOOST_TEST_REQUIRE(got.ok(), ErrorText(got));
    BOOST_TEST(got->status == 200);
    BOOST_TEST(got->body.empty());
    BOOST_TEST(got->body_complete);
    BOOST_TEST(got->body_bytes == 8 * kMiB);
    BOOST_TEST(got->content_length.value_or(0) == 8 * kMiB);
    BOOST_TEST(received == 8 * kMiB);
    BOOST_TEST(crypto::HexEncode(hasher.Final()) == *expected);
    auto outcome = probe.Wait();
    BOOST_TEST((outcome.end == http::BodyEnd::kComplete));
    BOOST_TEST(outcome.bytes_written == 8 * kMiB);
  }
}

BOOST_AUTO_TEST_CASE(cut_after_gives_an_incomplete_body_of_exactly_n_bytes) {
  const std::string data = RandomBytes(kMiB, 2);
  for (bool tls : {false, true}) {
    BodyEndProbe probe;
    auto server = Start(ServerOptions(tls), Serve([&] {
      http::Response response;
      response.stream = otasim::MemorySource(data);
      response.cut_after = 100000;
      response.on_body_end = probe.Callback();
      return response;
    }));
    http::ClientRequest get;
    get.url = server->BaseUrl() + "/image.bin";
    std::string received;
    auto got = http::Fetch(get, ClientOptions(), [&](const std::uint8_t* d, std::size_t n) {
      received.append(reinterpret_cast<const char*>(d), n);
      return true;
    });
    BOOST_TEST_REQUIRE(got.ok(), ErrorText(got));
    BOOST_TEST(!got->body_complete);
    BOOST_TEST(!got->stopped_by_sink);
    BOOST_TEST(!got->body_end_detail.empty());
    BOOST_TEST_MESSAGE("cut (tls=" << tls << "): " << got->body_end_detail);
    BOOST_TEST(got->body_bytes == 100000u);
    BOOST_TEST(got->content_length.value_or(0) == kMiB);
    BOOST_TEST((received == data.substr(0, 100000)));
    auto outcome = probe.Wait();
    BOOST_TEST((outcome.end == http::BodyEnd::kCut));
    BOOST_TEST(outcome.bytes_written == 100000u);
  }
}

BOOST_AUTO_TEST_CASE(declared_length_larger_than_data_is_an_incomplete_body) {
  BodyEndProbe probe;
  auto server = Start(ServerOptions(false), Serve([&] {
    http::Response response;
    response.stream = otasim::MemorySource(std::string(1000, 'a'));
    response.declared_length = 5000;
    response.on_body_end = probe.Callback();
    return response;
  }));
  http::ClientRequest get;
  get.url = server->BaseUrl() + "/image.bin";
  auto got = http::Fetch(get, ClientOptions());
  BOOST_TEST_REQUIRE(got.ok(), ErrorText(got));
  BOOST_TEST(!got->body_complete);
  BOOST_TEST(got->body.size() == 1000u);
  BOOST_TEST(got->content_length.value_or(0) == 5000u);
  auto outcome = probe.Wait();
  BOOST_TEST((outcome.end == http::BodyEnd::kComplete));
  BOOST_TEST(outcome.bytes_written == 1000u);
}

BOOST_AUTO_TEST_CASE(body_without_length_ends_at_close) {
  const std::string data = RandomBytes(300000, 3);
  for (bool tls : {false, true}) {
    auto server = Start(ServerOptions(tls), Serve([&] {
      http::Response response;
      response.stream = std::make_unique<UnknownLengthSource>(data);
      return response;
    }));
    http::ClientRequest get;
    get.url = server->BaseUrl() + "/image.bin";
    get.max_body = kMiB;
    auto got = http::Fetch(get, ClientOptions());
    BOOST_TEST_REQUIRE(got.ok(), ErrorText(got));
    BOOST_TEST(got->body_complete, "tls=" << tls << " " << got->body_end_detail);
    BOOST_TEST(!got->content_length.has_value());
    BOOST_TEST((got->body == data));
  }
}

BOOST_AUTO_TEST_CASE(sink_returning_false_stops_early_and_server_sees_peer_gone) {
  BodyEndProbe probe;
  auto server = Start(ServerOptions(false), Serve([&] {
    http::Response response;
    response.stream = std::make_unique<UnknownLengthSource>(std::string(32 * kMiB, 'z'));
    response.declared_length = 32 * kMiB;
    response.on_body_end = probe.Callback();
    return response;
  }));
  http::ClientRequest get;
  get.url = server->BaseUrl() + "/image.bin";
  std::uint64_t received = 0;
  auto got = http::Fetch(get, ClientOptions(), [&](const std::uint8_t*, std::size_t n) {
    received += n;
    return received < 100000;
  });
  BOOST_TEST_REQUIRE(got.ok(), ErrorText(got));
  BOOST_TEST(got->stopped_by_sink);
  BOOST_TEST(!got->body_complete);
  BOOST_TEST(got->body_bytes == received);
  BOOST_TEST(received < 32 * kMiB);
  auto outcome = probe.Wait();
  BOOST_TEST((outcome.end == http::BodyEnd::kPeerGone), outcome.detail);
  BOOST_TEST(outcome.bytes_written < 32 * kMiB);
}

BOOST_AUTO_TEST_CASE(header_check_sees_status_and_length_before_the_sink) {
  const std::string data = RandomBytes(300000, 4);
  for (bool tls : {false, true}) {
    auto server = Start(ServerOptions(tls), Serve([&] {
      http::Response response;
      response.status = 206;
      response.headers["content-range"] = "bytes 100-300099/300100";
      response.stream = otasim::MemorySource(data);
      return response;
    }));
    http::ClientRequest get;
    get.url = server->BaseUrl() + "/image.bin";
    int checks = 0;
    std::uint64_t received = 0;
    bool sink_before_check = false;
    auto got = http::Fetch(
        get, ClientOptions(),
        [&](const std::uint8_t*, std::size_t n) {
          if (checks == 0) sink_before_check = true;
          received += n;
          return true;
        },
        [&](const http::ClientResponse& head) {
          ++checks;
          BOOST_TEST(head.status == 206);
          BOOST_TEST(head.content_length.value_or(0) == data.size());
          BOOST_TEST(head.Header("content-range").value_or("") == "bytes 100-300099/300100");
          BOOST_TEST(head.body_bytes == 0u);
          BOOST_TEST(received == 0u);
          return true;
        });
    BOOST_TEST_REQUIRE(got.ok(), ErrorText(got));
    BOOST_TEST(checks == 1);
    BOOST_TEST(!sink_before_check);
    BOOST_TEST(!got->stopped_by_header_check);
    BOOST_TEST(got->body_complete);
    BOOST_TEST(received == data.size());
  }
}

BOOST_AUTO_TEST_CASE(header_check_refusal_reads_no_body_and_server_sees_peer_gone) {
  // A 32 MiB body: far more than the socket buffers on both sides can hold, so the server's
  // count shows the client stopped reading rather than draining everything into its kernel.
  constexpr std::uint64_t kBody = 32 * kMiB;
  for (bool tls : {false, true}) {
    BodyEndProbe probe;
    auto server = Start(ServerOptions(tls), Serve([&] {
      http::Response response;
      response.stream = std::make_unique<UnknownLengthSource>(std::string(kBody, 'z'));
      response.declared_length = kBody;
      response.on_body_end = probe.Callback();
      return response;
    }));
    http::ClientRequest get;
    get.url = server->BaseUrl() + "/image.bin";
    bool sink_called = false;
    std::optional<std::uint64_t> seen_length;
    auto got = http::Fetch(
        get, ClientOptions(),
        [&](const std::uint8_t*, std::size_t) {
          sink_called = true;
          return true;
        },
        [&](const http::ClientResponse& head) {
          seen_length = head.content_length;
          return false;  // e.g. the length disagrees with what the caller expects
        });
    BOOST_TEST_REQUIRE(got.ok(), ErrorText(got));
    BOOST_TEST(got->status == 200);
    BOOST_TEST(got->stopped_by_header_check);
    BOOST_TEST(!got->stopped_by_sink);
    BOOST_TEST(!got->body_complete);
    BOOST_TEST(got->body_bytes == 0u);
    BOOST_TEST(got->body.empty());
    BOOST_TEST(!sink_called);
    BOOST_TEST(seen_length.value_or(0) == kBody);
    auto outcome = probe.Wait();
    BOOST_TEST((outcome.end == http::BodyEnd::kPeerGone), outcome.detail);
    BOOST_TEST_MESSAGE("refused on its header (tls=" << tls << "): the server wrote "
                                                     << outcome.bytes_written << " bytes");
    // What the server managed to write went into the socket buffers (a few MiB; Linux allows
    // at most about 4 MiB to send plus 6 MiB to receive by default).
    BOOST_TEST(outcome.bytes_written < kBody / 2);
  }
}

BOOST_AUTO_TEST_CASE(header_check_refusal_of_a_buffered_fetch_keeps_the_body_empty) {
  auto server = Start(ServerOptions(false), [](const http::Request&) {
    return http::Response::Text(404, "not here");
  });
  http::ClientRequest get;
  get.url = server->BaseUrl() + "/missing";
  auto got = http::Fetch(get, ClientOptions(), nullptr,
                         [](const http::ClientResponse& head) { return head.status == 200; });
  BOOST_TEST_REQUIRE(got.ok(), ErrorText(got));
  BOOST_TEST(got->status == 404);
  BOOST_TEST(got->stopped_by_header_check);
  BOOST_TEST(got->body.empty());
  BOOST_TEST(got->content_length.value_or(0) == 8u);
}

BOOST_AUTO_TEST_CASE(buffered_body_over_max_body_is_an_error) {
  auto server = Start(ServerOptions(false), [](const http::Request&) {
    return http::Response::Text(200, std::string(5000, 'b'));
  });
  http::ClientRequest get;
  get.url = server->BaseUrl() + "/big";
  get.max_body = 4096;
  auto got = http::Fetch(get, ClientOptions());
  BOOST_TEST_REQUIRE(!got.ok());
  BOOST_TEST(Code(got.error().code()) == Code(Errc::kProtocol));
  BOOST_TEST(got.error().message().find("body larger than 4096") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(timeout_against_a_server_that_never_answers) {
  RawSocket silent;
  std::uint16_t port = silent.BindLoopback(true);
  auto options = ClientOptions();
  options.timeout = milliseconds(300);
  for (std::string scheme : {"http", "https"}) {
    http::ClientRequest get;
    get.url = scheme + "://127.0.0.1:" + std::to_string(port) + "/manifest";
    auto start = Clock::now();
    auto got = http::Fetch(get, options);
    BOOST_TEST_REQUIRE(!got.ok());
    BOOST_TEST(Code(got.error().code()) == Code(Errc::kTimeout), got.error().What());
    BOOST_TEST(ElapsedMs(start) >= 250);
    BOOST_TEST(ElapsedMs(start) < 2000);
  }
}

BOOST_AUTO_TEST_CASE(total_timeout_bounds_the_whole_exchange) {
  RawSocket silent;
  std::uint16_t port = silent.BindLoopback(true);
  auto options = ClientOptions();
  options.timeout = milliseconds(10000);
  options.total_timeout = milliseconds(300);
  http::ClientRequest get;
  get.url = "http://127.0.0.1:" + std::to_string(port) + "/manifest";
  auto start = Clock::now();
  auto got = http::Fetch(get, options);
  BOOST_TEST_REQUIRE(!got.ok());
  BOOST_TEST(Code(got.error().code()) == Code(Errc::kTimeout), got.error().What());
  BOOST_TEST(ElapsedMs(start) < 2000);
}

BOOST_AUTO_TEST_CASE(connection_refused_is_a_network_error) {
  RawSocket bound;  // bound but not listening: connections to it are refused
  std::uint16_t port = bound.BindLoopback(false);
  http::ClientRequest get;
  get.url = "http://127.0.0.1:" + std::to_string(port) + "/manifest";
  auto got = http::Fetch(get, ClientOptions());
  BOOST_TEST_REQUIRE(!got.ok());
  BOOST_TEST(Code(got.error().code()) == Code(Errc::kNetwork), got.error().What());
}

BOOST_AUTO_TEST_CASE(bad_url_is_a_parse_error) {
  http::ClientRequest get;
  get.url = "not a url";
  auto got = http::Fetch(get, ClientOptions());
  BOOST_TEST_REQUIRE(!got.ok());
  BOOST_TEST(Code(got.error().code()) == Code(Errc::kParse));
}

BOOST_AUTO_TEST_SUITE_END()
