// The HTTP(S) server: one listener coroutine, one session coroutine per connection, all on one
// io_context that runs on the server's own thread. Every network wait has a deadline
// (beast::tcp_stream::expires_after); streamed bodies are pumped chunk by chunk from a
// ByteSource and are never held whole.
#include "http_server.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <exception>
#include <mutex>
#include <span>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "ascii.hpp"
#include "beast_request.hpp"

namespace otasim::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// Completion tokens that return errors as values instead of throwing.
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

constexpr std::size_t kChunkSize = 64 * 1024;
// How long a closing connection waits for the peer (TLS close_notify, or the rest of a request
// body we refused): long enough for the peer to read our answer, short enough not to linger.
constexpr std::chrono::milliseconds kMaxLinger{1000};

std::string EndpointText(const tcp::endpoint& endpoint) {
  std::string address = endpoint.address().to_string();
  if (endpoint.address().is_v6()) address = "[" + address + "]";
  return address + ":" + std::to_string(endpoint.port());
}

// The subject CN of the verified client certificate, or "" if none was presented or verified.
std::string ClientIdentity(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return "";
  std::string identity;
  if (SSL_get_verify_result(ssl) == X509_V_OK) {
    X509_NAME* subject = X509_get_subject_name(cert);
    int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (index >= 0) {
      ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
      unsigned char* utf8 = nullptr;
      int length = ASN1_STRING_to_UTF8(&utf8, data);
      if (length >= 0) identity.assign(reinterpret_cast<char*>(utf8), length);
      OPENSSL_free(utf8);
    }
  }
  X509_free(cert);
  return identity;
}

// Logs what escapes a coroutine (asio::detached would drop it silently).
struct LogExceptions {
  const char* what;
  void operator()(std::exception_ptr error) const {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "otasim http server: %s: %s\n", what, e.what());
    } catch (...) {
      std::fprintf(stderr, "otasim http server: %s: unknown exception\n", what);
    }
  }
};

// Closes the socket without any goodbye: no TLS close_notify, so the peer sees a truncation.
void CloseAbruptly(beast::tcp_stream& stream) {
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream.close();
}

class ServerImpl final : public Server {
 public:
  ServerImpl(ServerOptions options, Handler handler)
      : options_(std::move(options)), handler_(std::move(handler)), acceptor_(ioc_) {}

  ~ServerImpl() override { Stop(); }

  Status Open() {
    error_code ec;
    auto address = asio::ip::make_address(options_.bind_address, ec);
    if (ec) {
      return MakeError(Errc::kInvalidArgument, "bad bind address '" + options_.bind_address + "'");
    }
    if (options_.tls) OTASIM_CHECK(MakeTlsContext(*options_.tls));

    tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return MakeError(Errc::kNetwork, "listening on " + EndpointText(endpoint) + ": " +
                                           ec.message());
    }
    port_ = acceptor_.local_endpoint().port();

    asio::co_spawn(ioc_, Listen(), LogExceptions{"listener"});
    thread_ = std::thread([this] { Run(); });
    return {};
  }

  std::uint16_t port() const override { return port_; }

  std::string BaseUrl() const override {
    std::string host = options_.bind_address;
    if (host == "0.0.0.0") host = "127.0.0.1";
    if (host == "::") host = "::1";
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    return std::string(options_.tls ? "https" : "http") + "://" + host + ":" +
           std::to_string(port_);
  }

  void Stop() override {
    std::lock_guard lock(stop_mutex_);
    if (stopped_) return;
    stopped_ = true;
    // Closing from the io thread keeps every socket single-threaded; sessions then fail their
    // pending operation, finish (reporting on_body_end) and the io_context runs out of work.
    asio::post(ioc_, [this] { CloseEverything(); });
    if (thread_.joinable()) thread_.join();
  }

 private:
  Status MakeTlsContext(const TlsServerConfig& config) {
    ssl_context_.emplace(ssl::context::tls_server);
    ssl::context& context = *ssl_context_;
    error_code ec;
    context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                            ssl::context::no_sslv3 | ssl::context::single_dh_use,
                        ec);
    context.use_certificate_chain(asio::buffer(config.cert_chain_pem), ec);
    if (ec) return MakeError(Errc::kCrypto, "server certificate chain: " + ec.message());
    context.use_private_key(asio::buffer(config.key_pem), ssl::context::pem, ec);
    if (ec) return MakeError(Errc::kCrypto, "server private key: " + ec.message());
    if (!config.client_ca_pem.empty()) {
      context.add_certificate_authority(asio::buffer(config.client_ca_pem), ec);
      if (ec) return MakeError(Errc::kCrypto, "client CA certificates: " + ec.message());
      ssl::verify_mode mode = ssl::verify_peer;
      if (config.require_client_cert) mode |= ssl::verify_fail_if_no_peer_cert;
      context.set_verify_mode(mode, ec);
      // OpenSSL refuses resumed sessions with client certificates unless this is set.
      static const unsigned char kSessionContext[] = "otasim";
      SSL_CTX_set_session_id_context(context.native_handle(), kSessionContext,
                                     sizeof(kSessionContext) - 1);
    }
    return {};
  }

  void Run() {
    try {
      ioc_.run();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "otasim http server: io thread: %s\n", e.what());
    }
  }

  void CloseEverything() {
    stopping_ = true;
    error_code ignored;
    acceptor_.close(ignored);
    for (auto& [id, stream] : live_) CloseAbruptly(*stream);
  }

  asio::awaitable<void> Listen() {
    while (!stopping_) {
      auto [ec, socket] = co_await acceptor_.async_accept(kNoThrow);
      if (stopping_ || !acceptor_.is_open()) break;
      if (ec) {
        // E.g. out of file descriptors: back off instead of spinning.
        asio::steady_timer pause(ioc_, std::chrono::milliseconds(50));
        co_await pause.async_wait(kNoThrow);
        continue;
      }
      asio::co_spawn(ioc_, RunConnection(std::move(socket), next_connection_id_++),
                     LogExceptions{"session"});
    }
  }

  // Registers the connection so that Stop() can close it; unregisters when the session ends.
  struct LiveGuard {
    ServerImpl* server;
    std::uint64_t id;
    ~LiveGuard() { server->live_.erase(id); }
  };

  asio::awaitable<void> RunConnection(tcp::socket socket, std::uint64_t id) {
    error_code ec;
    tcp::endpoint remote = socket.remote_endpoint(ec);
    std::string peer = ec ? "unknown" : EndpointText(remote);
    beast::tcp_stream tcp_stream(std::move(socket));
    if (stopping_) co_return;

    if (!ssl_context_) {
      live_[id] = &tcp_stream;
      LiveGuard guard{this, id};
      co_await Serve(tcp_stream, id, peer, "");
      co_return;
    }

    ssl::stream<beast::tcp_stream> stream(std::move(tcp_stream), *ssl_context_);
    live_[id] = &beast::get_lowest_layer(stream);
    LiveGuard guard{this, id};
    beast::get_lowest_layer(stream).expires_after(options_.io_timeout);
    auto [handshake_ec] = co_await stream.async_handshake(ssl::stream_base::server, kNoThrow);
    if (handshake_ec) {
      CloseAbruptly(beast::get_lowest_layer(stream));
      co_return;
    }
    std::string identity = ClientIdentity(stream.native_handle());
    co_await Serve(stream, id, peer, identity);
  }

  // Reads requests and writes responses until the connection ends or must be closed.
  template <class Stream>
  asio::awaitable<void> Serve(Stream& stream, std::uint64_t id, const std::string& peer,
                              const std::string& identity) {
    beast::tcp_stream& tcp_stream = beast::get_lowest_layer(stream);
    beast::flat_buffer buffer;
    while (!stopping_) {
      detail::RequestParser parser;
      detail::ConfigureParser(parser, options_);

      tcp_stream.expires_after(options_.io_timeout);
      auto [header_ec, header_bytes] =
          co_await bhttp::async_read_header(stream, buffer, parser, kNoThrow);
      error_code ec = header_ec;
      if (!ec && !parser.is_done() &&
          AsciiLower(parser.get()[bhttp::field::expect]) == "100-continue") {
        // curl and libcurl-based devices wait for this before sending a larger body.
        bhttp::response<bhttp::empty_body> go_on(bhttp::status::continue_, 11);
        tcp_stream.expires_after(options_.io_timeout);
        auto [continue_ec, continue_bytes] = co_await bhttp::async_write(stream, go_on, kNoThrow);
        ec = continue_ec;
      }
      if (!ec && !parser.is_done()) {
        tcp_stream.expires_after(options_.io_timeout);
        auto [body_ec, body_bytes] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
        ec = body_ec;
      }
      if (ec) {
        co_await RejectRequest(stream, ec);
        co_return;
      }

      const auto& message = parser.get();
      Request request = detail::ToRequest(message);
      request.peer = peer;
      request.client_identity = identity;
      request.connection_id = id;

      Response response;
      try {
        response = handler_(request);
      } catch (const std::exception& e) {
        response = Response::Text(500, std::string("handler failed: ") + e.what() + "\n");
      } catch (...) {
        response = Response::Text(500, "handler failed\n");
      }
      if (response.status < 100 || response.status > 999) {
        response = Response::Text(500, "handler returned status " +
                                           std::to_string(response.status) + "\n");
      }

      bool keep_alive = message.keep_alive();
      auto connection = response.headers.find("connection");
      if (connection != response.headers.end() && AsciiLower(connection->second) == "close") {
        keep_alive = false;
      }
      bool head = message.method() == bhttp::verb::head;
      bool reusable = co_await WriteResponse(stream, response, keep_alive, head,
                                             message.version());
      if (!reusable) co_return;
    }
  }

  // Answers a request that could not be read (malformed, too large) and closes; a timeout or a
  // vanished peer just closes.
  template <class Stream>
  asio::awaitable<void> RejectRequest(Stream& stream, error_code ec) {
    int status = 0;
    if (ec == bhttp::error::body_limit) {
      status = 413;
    } else if (ec == bhttp::error::header_limit) {
      status = 431;
    } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
               ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      status = 400;
    }
    if (status == 0) {
      // end_of_stream is a client closing an idle keep-alive connection; the rest are timeouts
      // and network errors: nothing to answer.
      if (ec == bhttp::error::end_of_stream) {
        co_await CloseGracefully(stream, false);
      } else {
        CloseAbruptly(beast::get_lowest_layer(stream));
      }
      co_return;
    }
    bhttp::response<bhttp::string_body> response;
    response.version(11);
    response.result(static_cast<unsigned>(status));
    response.set(bhttp::field::content_type, "text/plain");
    response.body() = std::string(bhttp::obsolete_reason(response.result())) + ": " +
                      ec.message() + "\n";
    response.keep_alive(false);
    response.prepare_payload();
    beast::get_lowest_layer(stream).expires_after(options_.io_timeout);
    co_await bhttp::async_write(stream, response, kNoThrow);
    co_await CloseGracefully(stream, true);
  }

  // Ends the connection with a clean close: TLS close_notify, or TCP FIN. With `drain`, reads
  // and discards what the client still sends for a moment, so that closing with unread data
  // does not reset the connection before the client read our answer.
  template <class Stream>
  asio::awaitable<void> CloseGracefully(Stream& stream, bool drain) {
    beast::tcp_stream& tcp_stream = beast::get_lowest_layer(stream);
    tcp_stream.expires_after(std::min<std::chrono::milliseconds>(options_.io_timeout, kMaxLinger));
    if constexpr (std::is_same_v<Stream, ssl::stream<beast::tcp_stream>>) {
      co_await stream.async_shutdown(kNoThrow);
    } else {
      error_code ignored;
      tcp_stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      if (drain) {
        std::vector<char> scratch(kChunkSize);
        for (std::size_t total = 0; total < 16 * kChunkSize;) {
          auto [ec, n] = co_await tcp_stream.async_read_some(asio::buffer(scratch), kNoThrow);
          if (ec) break;
          total += n;
        }
      }
    }
    tcp_stream.close();
  }

  // Writes one response. Returns whether the connection may carry another request.
  template <class Stream>
  asio::awaitable<bool> WriteResponse(Stream& stream, Response& response, bool keep_alive,
                                      bool head, unsigned version) {
    beast::tcp_stream& tcp_stream = beast::get_lowest_layer(stream);
    BodyOutcome outcome;

    // The header. We own the framing: a handler's content-length / transfer-encoding is ignored.
    bhttp::response<bhttp::empty_body> header;
    header.version(version);
    header.result(static_cast<unsigned>(response.status));
    for (const auto& [name, value] : response.headers) {
      std::string lower = AsciiLower(name);
      if (lower == "content-length" || lower == "transfer-encoding" || lower == "connection") {
        continue;
      }
      header.set(name, value);
    }
    std::optional<std::uint64_t> length;
    if (!response.stream) {
      length = response.body.size();
    } else {
      length = response.declared_length ? response.declared_length : response.stream->Length();
    }
    if (length) {
      header.content_length(*length);
    } else {
      keep_alive = false;  // the body ends when the connection closes
    }
    header.keep_alive(keep_alive);

    tcp_stream.expires_after(options_.io_timeout);
    auto [header_ec, header_bytes] = co_await bhttp::async_write(stream, header, kNoThrow);
    if (header_ec) {
      outcome.end = BodyEnd::kPeerGone;
      outcome.detail = "writing the header: " + header_ec.message();
    } else if (!head) {
      co_await WriteBody(stream, response, outcome);
    }
    if (response.on_body_end) {
      try {
        response.on_body_end(outcome);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "otasim http server: on_body_end: %s\n", e.what());
      } catch (...) {
        std::fprintf(stderr, "otasim http server: on_body_end: unknown exception\n");
      }
    }

    switch (outcome.end) {
      case BodyEnd::kComplete:
        break;
      case BodyEnd::kCut:
        CloseAbruptly(tcp_stream);
        co_return false;
      case BodyEnd::kPeerGone:
      case BodyEnd::kSourceError:
        // A source error mid-body leaves the client waiting for bytes that never come:
        // close without close_notify so that it sees a truncated body, not a complete one.
        CloseAbruptly(tcp_stream);
        co_return false;
    }
    // A body that differs from its Content-Length (a lie) desynchronises the framing: close.
    bool framed = head || (length && outcome.bytes_written == *length);
    if (!keep_alive || !framed) {
      co_await CloseGracefully(stream, false);
      co_return false;
    }
    co_return true;
  }

  // Pumps the body in chunks, each write with its own deadline; honours cut_after.
  template <class Stream>
  asio::awaitable<void> WriteBody(Stream& stream, Response& response, BodyOutcome& outcome) {
    beast::tcp_stream& tcp_stream = beast::get_lowest_layer(stream);
    std::vector<std::uint8_t> chunk(kChunkSize);
    std::size_t buffered_offset = 0;  // for `response.body`
    while (true) {
      if (response.cut_after && outcome.bytes_written >= *response.cut_after) {
        outcome.end = BodyEnd::kCut;
        outcome.detail = "cut after " + std::to_string(outcome.bytes_written) + " bytes";
        co_return;
      }
      std::size_t want = chunk.size();
      if (response.cut_after) {
        want = static_cast<std::size_t>(
            std::min<std::uint64_t>(want, *response.cut_after - outcome.bytes_written));
      }
      std::size_t n = 0;
      if (response.stream) {
        auto read = response.stream->Read(std::span<std::uint8_t>(chunk.data(), want));
        if (!read.ok()) {
          outcome.end = BodyEnd::kSourceError;
          outcome.detail = read.error().What();
          co_return;
        }
        n = *read;
      } else {
        n = std::min(want, response.body.size() - buffered_offset);
        std::copy_n(response.body.data() + buffered_offset, n, chunk.data());
        buffered_offset += n;
      }
      if (n == 0) {
        outcome.end = BodyEnd::kComplete;
        co_return;
      }
      tcp_stream.expires_after(options_.io_timeout);
      auto [ec, written] = co_await asio::async_write(stream, asio::buffer(chunk.data(), n),
                                                      kNoThrow);
      outcome.bytes_written += written;
      if (ec) {
        outcome.end = BodyEnd::kPeerGone;
        outcome.detail = ec == beast::error::timeout ? "write timed out" : ec.message();
        co_return;
      }
    }
  }

  ServerOptions options_;
  Handler handler_;
  asio::io_context ioc_;
  std::optional<ssl::context> ssl_context_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;

  // Touched only on the io thread.
  bool stopping_ = false;
  std::uint64_t next_connection_id_ = 1;
  std::unordered_map<std::uint64_t, beast::tcp_stream*> live_;

  std::mutex stop_mutex_;
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace

Result<std::unique_ptr<Server>> StartServer(const ServerOptions& options, Handler handler) {
  if (!handler) return MakeError(Errc::kInvalidArgument, "StartServer needs a handler");
  try {
    auto server = std::make_unique<ServerImpl>(options, std::move(handler));
    OTASIM_CHECK(server->Open());
    return std::unique_ptr<Server>(std::move(server));
  } catch (const std::exception& e) {
    return MakeError(Errc::kInternal, std::string("starting the HTTP server: ") + e.what());
  }
}

}  // namespace otasim::http
