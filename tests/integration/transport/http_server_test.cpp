#define BOOST_TEST_MODULE http_server_test
#include <boost/test/unit_test.hpp>

#include <future>
#include <mutex>
#include <vector>

#include "http_test_util.hpp"

using namespace http_test;
using otasim::Errc;
namespace http = otasim::http;

namespace {

http::ServerOptions PlainOptions() {
  http::ServerOptions options;
  options.io_timeout = milliseconds(2000);
  return options;
}

http::ClientOptions FastClient() {
  http::ClientOptions options;
  options.timeout = milliseconds(3000);
  return options;
}

// Records every request the server saw.
struct Recorder {
  std::mutex mutex;
  std::vector<http::Request> requests;

  http::Handler Handler() {
    return [this](const http::Request& request) {
      {
        std::lock_guard lock(mutex);
        requests.push_back(request);
      }
      http::Response response = http::Response::Text(
          200, request.method + " " + request.target + " " + request.body);
      response.headers["x-test"] = "yes";
      return response;
    };
  }
  std::size_t Count() {
    std::lock_guard lock(mutex);
    return requests.size();
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(http_server_tests)

BOOST_AUTO_TEST_CASE(plain_get_and_post_round_trip) {
  Recorder recorder;
  auto server = Start(PlainOptions(), recorder.Handler());
  BOOST_TEST(server->port() != 0);
  BOOST_TEST(server->BaseUrl() == "http://127.0.0.1:" + std::to_string(server->port()));

  http::ClientRequest get;
  get.url = server->BaseUrl() + "/dev-0001/manifest?x=1";
  get.headers["X-Device"] = "d1";
  auto got = http::Fetch(get, FastClient());
  BOOST_TEST_REQUIRE(got.ok(), ErrorText(got));
  BOOST_TEST(got->status == 200);
  BOOST_TEST(got->body == "GET /dev-0001/manifest?x=1 ");
  BOOST_TEST(got->Header("x-test").value_or("") == "yes");
  BOOST_TEST(got->Header("content-type").value_or("") == "text/plain");
  BOOST_TEST(got->body_complete);
  BOOST_TEST(got->content_length.value_or(0) == got->body.size());
  BOOST_TEST(got->body_bytes == got->body.size());

  http::ClientRequest post;
  post.method = "POST";
  post.url = server->BaseUrl() + "/dev-0001/status";
  post.headers["content-type"] = "application/json";
  post.body = R"({"state":"installed"})";
  auto posted = http::Fetch(post, FastClient());
  BOOST_TEST_REQUIRE(posted.ok(), ErrorText(posted));
  BOOST_TEST(posted->body == std::string("POST /dev-0001/status ") + post.body);

  std::lock_guard lock(recorder.mutex);
  BOOST_TEST_REQUIRE(recorder.requests.size() == 2u);
  const http::Request& first = recorder.requests[0];
  BOOST_TEST(first.method == "GET");
  BOOST_TEST(first.Header("x-device").value_or("") == "d1");
  BOOST_TEST(first.Header("host").value_or("") == "127.0.0.1:" + std::to_string(server->port()));
  BOOST_TEST(first.peer.rfind("127.0.0.1:", 0) == 0u);
  BOOST_TEST(first.client_identity.empty());
  BOOST_TEST(first.connection_id > 0u);
  const http::Request& second = recorder.requests[1];
  BOOST_TEST(second.Header("content-type").value_or("") == "application/json");
  BOOST_TEST(second.body == post.body);
  BOOST_TEST(second.connection_id != first.connection_id);
}

BOOST_AUTO_TEST_CASE(head_request_gets_length_without_body) {
  auto server = Start(PlainOptions(), [](const http::Request&) {
    return http::Response::Text(200, "abcdef");
  });
  http::ClientRequest head;
  head.method = "HEAD";
  head.url = server->BaseUrl() + "/image";
  auto got = http::Fetch(head, FastClient());
  BOOST_TEST_REQUIRE(got.ok(), ErrorText(got));
  BOOST_TEST(got->status == 200);
  BOOST_TEST(got->content_length.value_or(0) == 6u);
  BOOST_TEST(got->body.empty());
  BOOST_TEST(got->body_complete);
}

BOOST_AUTO_TEST_CASE(keep_alive_serves_several_requests_on_one_connection) {
  auto server = Start(PlainOptions(), [](const http::Request& request) {
    return http::Response::Text(200, request.target + "@" + std::to_string(request.connection_id));
  });
  RawSocket socket;
  socket.Connect(server->port());
  socket.Send(
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  bool closed = false;
  std::string reply = socket.ReadUntilClose(milliseconds(3000), &closed);
  BOOST_TEST(closed);
  auto a = reply.find("/a@");
  auto b = reply.find("/b@");
  BOOST_TEST_REQUIRE(a != std::string::npos, reply);
  BOOST_TEST_REQUIRE(b != std::string::npos, reply);
  // Same connection id in both answers.
  auto id_at = [&](std::size_t at) {
    return reply.substr(at + 3, reply.find_first_not_of("0123456789", at + 3) - (at + 3));
  };
  BOOST_TEST(!id_at(a).empty());
  BOOST_TEST(id_at(a) == id_at(b));
}

BOOST_AUTO_TEST_CASE(malformed_request_gets_400_and_close) {
  Recorder recorder;
  auto server = Start(PlainOptions(), recorder.Handler());
  for (const char* garbage : {"GARBAGE\r\n\r\n", "GET / HTTP/9.x\r\n\r\n",
                              "GET / HTTP/1.1\r\nBad Header\r\n\r\n"}) {
    RawSocket socket;
    socket.Connect(server->port());
    socket.Send(garbage);
    bool closed = false;
    std::string reply = socket.ReadUntilClose(milliseconds(3000), &closed);
    BOOST_TEST(reply.rfind("HTTP/1.1 400", 0) == 0u, garbage << " -> " << reply);
    BOOST_TEST(closed);
  }
  BOOST_TEST(recorder.Count() == 0u);
  // The server still serves well-formed requests.
  http::ClientRequest get;
  get.url = server->BaseUrl() + "/ok";
  auto got = http::Fetch(get, FastClient());
  BOOST_TEST_REQUIRE(got.ok(), ErrorText(got));
  BOOST_TEST(got->status == 200);
}

BOOST_AUTO_TEST_CASE(request_body_over_limit_gets_413) {
  Recorder recorder;
  auto options = PlainOptions();
  options.max_request_body = 1024;
  auto server = Start(options, recorder.Handler());

  http::ClientRequest post;
  post.method = "POST";
  post.url = server->BaseUrl() + "/status";
  post.body = std::string(100 * 1024, 'x');
  auto got = http::Fetch(post, FastClient());
  BOOST_TEST_REQUIRE(got.ok(), ErrorText(got));
  BOOST_TEST(got->status == 413);

  post.body = std::string(1024, 'x');  // exactly the limit is fine
  got = http::Fetch(post, FastClient());
  BOOST_TEST_REQUIRE(got.ok(), ErrorText(got));
  BOOST_TEST(got->status == 200);
  BOOST_TEST(recorder.Count() == 1u);
}

BOOST_AUTO_TEST_CASE(expect_100_continue_is_answered) {
  Recorder recorder;
  auto server = Start(PlainOptions(), recorder.Handler());
  RawSocket socket;
  socket.Connect(server->port());
  socket.Send("POST /status HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
              "Expect: 100-continue\r\nConnection: close\r\n\r\n");
  bool closed = false;
  std::string interim = socket.ReadUntilClose(milliseconds(300), &closed);
  BOOST_TEST(interim.rfind("HTTP/1.1 100", 0) == 0u, interim);
  socket.Send("hello");
  std::string reply = socket.ReadUntilClose(milliseconds(3000), &closed);
  BOOST_TEST(reply.find("POST /status hello") != std::string::npos, reply);
}

BOOST_AUTO_TEST_CASE(oversized_header_gets_431) {
  auto options = PlainOptions();
  options.max_header_bytes = 1024;
  auto server = Start(options, [](const http::Request&) { return http::Response::Text(200, ""); });
  http::ClientRequest get;
  get.url = server->BaseUrl() + "/";
  get.headers["x-big"] = std::string(4096, 'a');
  auto got = http::Fetch(get, FastClient());
  BOOST_TEST_REQUIRE(got.ok(), ErrorText(got));
  BOOST_TEST(got->status == 431);
}

BOOST_AUTO_TEST_CASE(handler_exception_gets_500) {
  auto server = Start(PlainOptions(), [](const http::Request&) -> http::Response {
    throw std::runtime_error("boom");
  });
  http::ClientRequest get;
  get.url = server->BaseUrl() + "/";
  auto got = http::Fetch(get, FastClient());
  BOOST_TEST_REQUIRE(got.ok(), ErrorText(got));
  BOOST_TEST(got->status == 500);
}

BOOST_AUTO_TEST_CASE(idle_connection_closed_after_io_timeout) {
  auto options = PlainOptions();
  options.io_timeout = milliseconds(300);
  auto server = Start(options, [](const http::Request&) { return http::Response::Text(200, ""); });
  RawSocket socket;
  socket.Connect(server->port());
  auto start = Clock::now();
  bool closed = false;
  std::string reply = socket.ReadUntilClose(milliseconds(5000), &closed);
  BOOST_TEST(closed);
  BOOST_TEST(reply.empty());
  BOOST_TEST(ElapsedMs(start) < 1500);
  BOOST_TEST(ElapsedMs(start) >= 250);
}

BOOST_AUTO_TEST_CASE(idle_tls_handshake_closed_after_io_timeout) {
  auto ca = MakeCa("test CA");
  auto options = PlainOptions();
  options.io_timeout = milliseconds(300);
  options.tls = TlsConfig(IssueLoopbackServer(ca));
  auto server = Start(options, [](const http::Request&) { return http::Response::Text(200, ""); });
  RawSocket socket;
  socket.Connect(server->port());
  auto start = Clock::now();
  bool closed = false;
  socket.ReadUntilClose(milliseconds(5000), &closed);
  BOOST_TEST(closed);
  BOOST_TEST(ElapsedMs(start) < 1500);
}

BOOST_AUTO_TEST_CASE(stop_closes_live_connections_and_is_idempotent) {
  auto options = PlainOptions();
  options.io_timeout = milliseconds(30000);
  auto server = Start(options, [](const http::Request&) { return http::Response::Text(200, ""); });
  RawSocket socket;
  socket.Connect(server->port());
  socket.Send("GET / HTTP/1.1\r\n");  // half a request: the session waits for the rest
  std::this_thread::sleep_for(milliseconds(100));
  auto start = Clock::now();
  server->Stop();
  BOOST_TEST(ElapsedMs(start) < 2000);
  bool closed = false;
  socket.ReadUntilClose(milliseconds(2000), &closed);
  BOOST_TEST(closed);
  server->Stop();
  server.reset();  // the destructor stops again: still fine
}

BOOST_AUTO_TEST_CASE(port_in_use_is_an_error) {
  auto first = Start(PlainOptions(), [](const http::Request&) { return http::Response::Text(200, ""); });
  auto options = PlainOptions();
  options.port = first->port();
  auto second = http::StartServer(options, [](const http::Request&) {
    return http::Response::Text(200, "");
  });
  BOOST_TEST_REQUIRE(!second.ok());
  BOOST_TEST(static_cast<int>(second.error().code()) == static_cast<int>(Errc::kNetwork));
}

BOOST_AUTO_TEST_CASE(mutual_tls_reports_client_identity) {
  auto ca = MakeCa("test CA");
  crypto::CertRequest device;
  device.common_name = "device-0001";
  device.server = false;
  device.client = true;
  auto client_cert = Issue(ca, device);

  for (bool require : {true, false}) {
    auto options = PlainOptions();
    options.tls = TlsConfig(IssueLoopbackServer(ca));
    options.tls->client_ca_pem = ca.cert_pem();
    options.tls->require_client_cert = require;
    auto server = Start(options, [](const http::Request& request) {
      return http::Response::Text(200, "identity=" + request.client_identity);
    });
    BOOST_TEST(server->BaseUrl().rfind("https://", 0) == 0u);

    http::ClientRequest get;
    get.url = server->BaseUrl() + "/whoami";
    auto client = FastClient();
    client.ca_pem = ca.cert_pem();
    client.client_cert_pem = client_cert.cert_pem;
    client.client_key_pem = client_cert.key_pem;
    auto got = http::Fetch(get, client);
    BOOST_TEST_REQUIRE(got.ok(), ErrorText(got));
    BOOST_TEST(got->body == "identity=device-0001");

    // Without a client certificate: refused when required, anonymous otherwise.
    client.client_cert_pem.clear();
    client.client_key_pem.clear();
    got = http::Fetch(get, client);
    if (require) {
      // TLS 1.3 reports the refusal as an alert after the client's handshake: kCrypto either way.
      BOOST_TEST_REQUIRE(!got.ok());
      BOOST_TEST(static_cast<int>(got.error().code()) == static_cast<int>(Errc::kCrypto),
                 got.error().What());
      BOOST_TEST_MESSAGE("no client certificate: " << got.error().What());
    } else {
      BOOST_TEST_REQUIRE(got.ok(), ErrorText(got));
      BOOST_TEST(got->body == "identity=");
    }
  }

  // A client certificate from another CA is refused.
  auto rogue = MakeCa("rogue CA");
  auto rogue_cert = Issue(rogue, device);
  auto options = PlainOptions();
  options.tls = TlsConfig(IssueLoopbackServer(ca));
  options.tls->client_ca_pem = ca.cert_pem();
  options.tls->require_client_cert = true;
  auto server = Start(options, [](const http::Request& request) {
    return http::Response::Text(200, "identity=" + request.client_identity);
  });
  http::ClientRequest get;
  get.url = server->BaseUrl() + "/whoami";
  auto client = FastClient();
  client.ca_pem = ca.cert_pem();
  client.client_cert_pem = rogue_cert.cert_pem;
  client.client_key_pem = rogue_cert.key_pem;
  auto got = http::Fetch(get, client);
  BOOST_TEST_REQUIRE(!got.ok());
  BOOST_TEST(static_cast<int>(got.error().code()) == static_cast<int>(Errc::kCrypto),
             got.error().What());
  BOOST_TEST_MESSAGE("rogue client certificate: " << got.error().What());
}

BOOST_AUTO_TEST_SUITE_END()
