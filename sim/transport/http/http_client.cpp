// The HTTP(S) client: one request per connection, run as a coroutine on a private io_context so
// that Fetch() is a plain blocking call. Every step (resolve, connect, handshake, write, each
// read) has a deadline; an optional header check may refuse the response before its body; the
// body streams to the sink chunk by chunk as it arrives.
#include "http_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "ascii.hpp"

namespace otasim::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kChunkSize = 64 * 1024;
constexpr std::uint32_t kHeaderLimit = 16 * 1024;

bool IsIpLiteral(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

bool IsTimeout(const error_code& ec) { return ec == beast::error::timeout; }

bool IsTlsError(const error_code& ec) { return ec.category() == asio::error::get_ssl_category(); }

// The connection ended (FIN, reset, TLS without close_notify): an interruption, not a protocol
// violation.
bool IsConnectionEnd(const error_code& ec) {
  return ec == bhttp::error::partial_message || ec == bhttp::error::end_of_stream ||
         ec == asio::error::eof || ec == ssl::error::stream_truncated ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted;
}

// Everything one exchange needs, and what it produced.
class Exchange {
 public:
  Exchange(const ClientRequest& request, const ClientOptions& options, const BodySink& sink,
           const HeaderCheck& header_check, Url url)
      : request_(request),
        options_(options),
        sink_(sink),
        header_check_(header_check),
        url_(std::move(url)) {
    if (options_.total_timeout.count() > 0) deadline_ = SteadyClock::now() + options_.total_timeout;
  }

  std::optional<Result<ClientResponse>>& result() { return result_; }

  Status MakeTlsContext() {
    ssl_context_.emplace(ssl::context::tls_client);
    ssl::context& context = *ssl_context_;
    error_code ec;
    context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                            ssl::context::no_sslv3,
                        ec);
    if (options_.verify_peer) {
      if (options_.ca_pem.empty()) {
        return MakeError(Errc::kInvalidArgument, "https needs trusted CA certificates (ca_pem)");
      }
      context.add_certificate_authority(asio::buffer(options_.ca_pem), ec);
      if (ec) return MakeError(Errc::kCrypto, "trusted CA certificates: " + ec.message());
      context.set_verify_mode(ssl::verify_peer, ec);
    } else {
      // Models a device that accepts any certificate.
      context.set_verify_mode(ssl::verify_none, ec);
    }
    if (!options_.client_cert_pem.empty()) {
      context.use_certificate_chain(asio::buffer(options_.client_cert_pem), ec);
      if (ec) return MakeError(Errc::kCrypto, "client certificate: " + ec.message());
      context.use_private_key(asio::buffer(options_.client_key_pem), ssl::context::pem, ec);
      if (ec) return MakeError(Errc::kCrypto, "client private key: " + ec.message());
    }
    return {};
  }

  asio::awaitable<void> Run() {
    beast::tcp_stream stream(co_await asio::this_coro::executor);
    if (!co_await Connect(stream)) co_return;
    if (!ssl_context_) {
      co_await Talk(stream);
      co_return;
    }
    ssl::stream<beast::tcp_stream> tls(std::move(stream), *ssl_context_);
    if (!co_await Handshake(tls)) co_return;
    co_await Talk(tls);
  }

 private:
  // The deadline of the next step: the per-step timeout, cut short by the total budget.
  milliseconds StepTimeout() const {
    milliseconds step = options_.timeout;
    if (deadline_) {
      auto left = std::chrono::duration_cast<milliseconds>(*deadline_ - SteadyClock::now());
      step = std::min(step, std::max(left, milliseconds(1)));
    }
    return step;
  }

  std::string TimeoutText(std::string_view what) const {
    return "timed out " + std::string(what) + " " + url_.ToString() + " (timeout " +
           std::to_string(options_.timeout.count()) + " ms" +
           (deadline_ ? ", total " + std::to_string(options_.total_timeout.count()) + " ms" : "") +
           ")";
  }

  bool Fail(Errc code, std::string message) {
    result_ = MakeError(code, std::move(message));
    return false;
  }

  // Maps a failed step to an error: kTimeout, kCrypto (TLS), kProtocol (HTTP) or kNetwork.
  bool FailWith(const error_code& ec, std::string_view what) {
    if (IsTimeout(ec)) return Fail(Errc::kTimeout, TimeoutText(what));
    std::string text = std::string(what) + " " + url_.ToString() + ": " + ec.message();
    if (IsTlsError(ec)) return Fail(Errc::kCrypto, "TLS error " + text);
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category()) {
      return Fail(Errc::kProtocol, "malformed response " + text);
    }
    return Fail(Errc::kNetwork, text);
  }

  asio::awaitable<bool> Connect(beast::tcp_stream& stream) {
    tcp::resolver resolver(co_await asio::this_coro::executor);
    // The resolver has no deadline of its own: a timer cancels it. The shared state tells a
    // late timer handler that the resolve is over (and the resolver maybe gone).
    struct ResolveState {
      bool done = false;
      bool timed_out = false;
    };
    auto state = std::make_shared<ResolveState>();
    asio::steady_timer timer(resolver.get_executor());
    timer.expires_after(StepTimeout());
    timer.async_wait([state, &resolver](error_code ec) {
      if (ec || state->done) return;
      state->timed_out = true;
      resolver.cancel();
    });
    auto [resolve_ec, endpoints] =
        co_await resolver.async_resolve(url_.host, std::to_string(url_.port), kNoThrow);
    state->done = true;
    timer.cancel();
    if (state->timed_out) co_return Fail(Errc::kTimeout, TimeoutText("resolving"));
    if (resolve_ec) {
      co_return Fail(Errc::kNetwork, "resolving " + url_.host + ": " + resolve_ec.message());
    }

    stream.expires_after(StepTimeout());
    auto [connect_ec, endpoint] = co_await stream.async_connect(endpoints, kNoThrow);
    if (connect_ec) co_return FailWith(connect_ec, "connecting to");
    co_return true;
  }

  asio::awaitable<bool> Handshake(ssl::stream<beast::tcp_stream>& tls) {
    SSL* ssl = tls.native_handle();
    bool ip_literal = IsIpLiteral(url_.host);
    // SNI carries DNS names only (RFC 6066).
    if (!ip_literal) SSL_set_tlsext_host_name(ssl, url_.host.c_str());
    if (options_.verify_peer && options_.verify_host) {
      int ok = ip_literal ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url_.host.c_str())
                          : SSL_set1_host(ssl, url_.host.c_str());
      if (ok != 1) co_return Fail(Errc::kCrypto, "cannot verify host name " + url_.host);
    }

    beast::get_lowest_layer(tls).expires_after(StepTimeout());
    auto [ec] = co_await tls.async_handshake(ssl::stream_base::client, kNoThrow);
    if (!ec) co_return true;
    if (IsTimeout(ec)) co_return Fail(Errc::kTimeout, TimeoutText("in the TLS handshake with"));
    long verify = SSL_get_verify_result(ssl);
    if (options_.verify_peer && verify != X509_V_OK) {
      co_return Fail(Errc::kCrypto, "TLS handshake with " + url_.ToString() +
                                        " failed: certificate verify failed: " +
                                        X509_verify_cert_error_string(verify));
    }
    co_return Fail(Errc::kCrypto,
                   "TLS handshake with " + url_.ToString() + " failed: " + ec.message());
  }

  bhttp::request<bhttp::string_body> BuildRequest() const {
    bhttp::request<bhttp::string_body> message;
    message.version(11);
    message.method_string(request_.method);
    message.target(url_.target);
    std::string host = url_.host.find(':') != std::string::npos ? "[" + url_.host + "]" : url_.host;
    if (url_.port != (url_.scheme == "https" ? 443 : 80)) host += ":" + std::to_string(url_.port);
    message.set(bhttp::field::host, host);
    message.set(bhttp::field::user_agent, "otasim");
    message.keep_alive(false);  // one request per connection
    message.body() = request_.body;
    message.prepare_payload();
    for (const auto& [name, value] : request_.headers) message.set(name, value);
    return message;
  }

  // Sends the request and reads the response over a connected (and maybe TLS) stream.
  template <class Stream>
  asio::awaitable<void> Talk(Stream& stream) {
    beast::tcp_stream& tcp_stream = beast::get_lowest_layer(stream);
    auto message = BuildRequest();
    tcp_stream.expires_after(StepTimeout());
    auto [write_ec, written] = co_await bhttp::async_write(stream, message, kNoThrow);
    if (write_ec && (IsTimeout(write_ec) || IsTlsError(write_ec))) {
      FailWith(write_ec, "sending the request to");
      co_return;
    }
    // On any other write error, the server may have answered and closed early (e.g. 413 before
    // reading our body): try to read that answer before reporting the write error.

    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::buffer_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(boost::none);  // the caller enforces sizes and must see every byte
    if (AsciiLower(request_.method) == "head") parser.skip(true);

    tcp_stream.expires_after(StepTimeout());
    auto [header_ec, header_bytes] =
        co_await bhttp::async_read_header(stream, buffer, parser, kNoThrow);
    if (header_ec) {
      if (write_ec) {
        FailWith(write_ec, "sending the request to");
      } else if (header_ec == bhttp::error::end_of_stream || IsConnectionEnd(header_ec)) {
        Fail(Errc::kNetwork, "connection closed before a response from " + url_.ToString() +
                                 ": " + header_ec.message());
      } else {
        FailWith(header_ec, "reading the response header from");
      }
      co_return;
    }

    ClientResponse response;
    const auto& header = parser.get();
    response.status = static_cast<int>(header.result_int());
    for (const auto& field : header) {
      std::string name = AsciiLower(field.name_string());
      auto [it, inserted] = response.headers.emplace(name, std::string(field.value()));
      if (!inserted) it->second += ", " + std::string(field.value());
    }
    if (auto length = parser.content_length()) response.content_length = *length;

    if (header_check_ && !header_check_(response)) {
      // Refused on its header: the body is never read. Body bytes that arrived with the header
      // stay in `buffer` and are dropped with the connection.
      response.stopped_by_header_check = true;
      response.body_end_detail = "stopped by the header check before the body";
      result_ = std::move(response);
    } else if (co_await ReadBody(stream, buffer, parser, response)) {
      result_ = std::move(response);
    }
    // Whatever happened, this connection carries no further request.
    error_code ignored;
    tcp_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp_stream.close();
  }

  // Reads the body chunk by chunk. Returns false (with result_ set) on an error that is not
  // just the connection ending early.
  template <class Stream>
  asio::awaitable<bool> ReadBody(Stream& stream, beast::flat_buffer& buffer,
                                 bhttp::response_parser<bhttp::buffer_body>& parser,
                                 ClientResponse& response) {
    beast::tcp_stream& tcp_stream = beast::get_lowest_layer(stream);
    std::vector<char> chunk(kChunkSize);
    while (!parser.is_done()) {
      auto& body = parser.get().body();
      body.data = chunk.data();
      body.size = chunk.size();
      tcp_stream.expires_after(StepTimeout());
      auto [ec, n] = co_await bhttp::async_read_some(stream, buffer, parser, kNoThrow);
      if (ec == bhttp::error::need_buffer) ec = {};  // the chunk is full: deliver it
      std::size_t got = chunk.size() - parser.get().body().size;

      if (got > 0) {
        response.body_bytes += got;
        auto* bytes = reinterpret_cast<const std::uint8_t*>(chunk.data());
        if (sink_) {
          if (!sink_(bytes, got)) {
            response.stopped_by_sink = true;
            response.body_end_detail =
                "stopped by the sink after " + std::to_string(response.body_bytes) + " bytes";
            co_return true;
          }
        } else {
          if (response.body.size() + got > request_.max_body) {
            co_return Fail(Errc::kProtocol, "body larger than " +
                                                std::to_string(request_.max_body) + " bytes from " +
                                                url_.ToString());
          }
          response.body.append(chunk.data(), got);
        }
      }

      if (ec) {
        std::string received = " after " + std::to_string(response.body_bytes) + " body bytes";
        if (IsTimeout(ec)) co_return Fail(Errc::kTimeout, TimeoutText("reading the body of") + received);
        if (IsConnectionEnd(ec)) {
          response.body_end_detail = "connection ended" + received +
                                     (response.content_length
                                          ? " of " + std::to_string(*response.content_length)
                                          : std::string()) +
                                     ": " + ec.message();
          co_return true;
        }
        co_return FailWith(ec, "reading the body of");
      }
    }
    response.body_complete = true;
    co_return true;
  }

  const ClientRequest& request_;
  const ClientOptions& options_;
  const BodySink& sink_;
  const HeaderCheck& header_check_;
  Url url_;
  std::optional<SteadyClock::time_point> deadline_;
  std::optional<ssl::context> ssl_context_;
  std::optional<Result<ClientResponse>> result_;
};

}  // namespace

Result<ClientResponse> Fetch(const ClientRequest& request, const ClientOptions& options,
                             const BodySink& sink, const HeaderCheck& header_check) {
  OTASIM_TRY(Url url, ParseUrl(request.url));
  try {
    asio::io_context ioc;
    Exchange exchange(request, options, sink, header_check, url);
    if (url.scheme == "https") OTASIM_CHECK(exchange.MakeTlsContext());
    std::exception_ptr failure;
    asio::co_spawn(ioc, exchange.Run(), [&](std::exception_ptr e) { failure = e; });
    ioc.run();
    if (failure) std::rethrow_exception(failure);
    if (!exchange.result()) {
      return MakeError(Errc::kInternal, "fetching " + request.url + " produced no result");
    }
    return std::move(*exchange.result());
  } catch (const std::exception& e) {
    return MakeError(Errc::kInternal, "fetching " + request.url + ": " + e.what());
  }
}

}  // namespace otasim::http
