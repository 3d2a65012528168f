// The relay runs every connection as coroutines on one io_context and thread. Each connection
// has a watchdog: every wait (handshake, connect, each read and write) pushes the connection's
// deadline forward by `timeout`; when the deadline passes, the watchdog closes both sockets,
// which ends whatever was waiting.
#include "tcp_relay.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <array>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "stream_edit.hpp"
#include "proxy_log.hpp"

namespace otasim::proxy {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
using namespace boost::asio::experimental::awaitable_operators;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kChunk = 16 * 1024;
// Capture at most this much of each direction of a connection (images are not held whole).
constexpr std::uint64_t kCaptureCap = 1 << 20;
// A canned answer reads the request header first; larger headers are not waited for.
constexpr std::size_t kMaxRequestHeader = 64 * 1024;
// How long Stop waits for connections to wind down before it stops the io thread hard.
constexpr std::chrono::seconds kStopGrace{2};
// Trickle pacing: one slice of the per-second budget every tick.
constexpr std::chrono::milliseconds kTrickleTick{100};

std::int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

std::string Reason(const error_code& ec) {
  if (ec == asio::error::eof) return "closed";
  return ec.message();
}

bool IsIp(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// One side of a connection, TLS or plain, behind the same read/write calls.
struct Side {
  Side(asio::io_context& io, ssl::context& context, bool use_tls)
      : stream(io, context), tls(use_tls) {}

  asio::awaitable<std::tuple<error_code, std::size_t>> ReadSome(asio::mutable_buffer buffer) {
    if (tls) co_return co_await stream.async_read_some(buffer, kNoThrow);
    co_return co_await stream.next_layer().async_read_some(buffer, kNoThrow);
  }
  asio::awaitable<std::tuple<error_code, std::size_t>> Write(asio::const_buffer buffer) {
    if (tls) co_return co_await asio::async_write(stream, buffer, kNoThrow);
    co_return co_await asio::async_write(stream.next_layer(), buffer, kNoThrow);
  }
  void Close() {
    error_code ec;
    stream.next_layer().shutdown(tcp::socket::shutdown_both, ec);
    stream.next_layer().close(ec);
  }

  ssl::stream<tcp::socket> stream;
  bool tls;
};

}  // namespace

struct Connection;

struct TcpRelay::Impl {
  explicit Impl(RelayOptions opts)
      : options(std::move(opts)),
        device_context(ssl::context::tls_server),
        upstream_context(ssl::context::tls_client),
        acceptor(io) {}

  Status Configure();
  asio::awaitable<void> Accept();
  asio::awaitable<void> Serve(std::shared_ptr<Connection> c);
  asio::awaitable<void> Watch(std::shared_ptr<Connection> c);
  asio::awaitable<void> Pump(std::shared_ptr<Connection> c, EditDirection direction);
  asio::awaitable<bool> Send(Connection& c, Side& to, EditDirection direction, std::string_view data);
  asio::awaitable<bool> ConnectUpstream(Connection& c);
  asio::awaitable<void> Answer(Connection& c);
  void Finish(Connection& c);
  void Spawn(asio::awaitable<void> task);

  RelayOptions options;
  asio::io_context io;
  ssl::context device_context;
  ssl::context upstream_context;
  tcp::acceptor acceptor;
  std::uint16_t port = 0;
  std::thread thread;
  std::mutex thread_mutex;
  std::condition_variable thread_done_cv;
  bool thread_done = false;
  bool stopped = false;

  ProxyLog log;
  mutable std::mutex records_mutex;
  std::vector<nlohmann::json> records;
  // io thread only
  std::uint64_t next_id = 1;
  bool stopping = false;
  std::vector<std::weak_ptr<Connection>> live;
};

namespace {

}  // namespace

struct Connection {
  Connection(TcpRelay::Impl& r, std::uint64_t connection_id, tcp::socket socket)
      : relay(r),
        id(connection_id),
        device(r.io, r.device_context, r.options.device.tls),
        server(r.io, r.upstream_context, r.options.upstream.tls),
        watchdog(r.io),
        started(Clock::now()) {
    device.stream.next_layer() = std::move(socket);
  }

  void Touch() { deadline = Clock::now() + relay.options.timeout; }
  void CloseAll() {
    device.Close();
    server.Close();
  }
  void Capture(EditDirection direction, std::string_view data) {
    PacketCapture* capture = relay.options.capture;
    if (capture == nullptr || flow == 0) return;
    auto& kept = captured[direction == EditDirection::kToServer ? 0 : 1];
    const std::uint64_t room = kept < kCaptureCap ? kCaptureCap - kept : 0;
    const std::string_view prefix = data.substr(0, room);
    kept += prefix.size();
    capture->Record(flow,
                    direction == EditDirection::kToServer ? CaptureDirection::kToServer
                                                          : CaptureDirection::kToDevice,
                    prefix, data.size());
  }

  TcpRelay::Impl& relay;
  const std::uint64_t id;
  Side device;
  Side server;
  asio::steady_timer watchdog;
  const Clock::time_point started;
  Clock::time_point deadline = Clock::now();
  bool done = false;
  bool deadline_passed = false;
  std::string end = "closed";
  std::uint64_t flow = 0;
  std::array<std::uint64_t, 2> captured{0, 0};
  std::uint64_t to_server = 0;
  std::uint64_t to_device = 0;
  std::uint64_t edits_applied = 0;
  nlohmann::json record = nlohmann::json::object();
};

Status TcpRelay::Impl::Configure() {
  error_code ec;
  if (options.device.tls) {
    device_context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                               ssl::context::no_sslv3);
    device_context.use_certificate_chain(asio::buffer(options.device.cert_pem), ec);
    if (ec) return MakeError(Errc::kCrypto, "the relay's certificate: " + ec.message());
    device_context.use_private_key(asio::buffer(options.device.key_pem), ssl::context::pem, ec);
    if (ec) return MakeError(Errc::kCrypto, "the relay's certificate key: " + ec.message());
  }
  if (options.upstream.tls) {
    upstream_context.add_certificate_authority(asio::buffer(options.upstream.ca_pem), ec);
    if (ec) return MakeError(Errc::kCrypto, "the genuine CA certificate: " + ec.message());
    upstream_context.set_verify_mode(ssl::verify_peer, ec);
    if (ec) return MakeError(Errc::kCrypto, "upstream verification: " + ec.message());
  }
  OTASIM_CHECK(log.Open(options.log_path));
  const tcp::endpoint local(asio::ip::make_address("127.0.0.1"), 0);
  acceptor.open(local.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(local, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return MakeError(Errc::kNetwork, "relay listener on 127.0.0.1: " + ec.message());
  port = acceptor.local_endpoint().port();
  return {};
}

void TcpRelay::Impl::Spawn(asio::awaitable<void> task) {
  asio::co_spawn(io, std::move(task), [this](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      log.Write({{"event", "internal-error"}, {"relay", options.label}, {"what", e.what()}});
    }
  });
}

asio::awaitable<void> TcpRelay::Impl::Accept() {
  for (;;) {
    tcp::socket socket(io);
    auto [ec] = co_await acceptor.async_accept(socket, kNoThrow);
    if (stopping) co_return;
    if (ec) {
      log.Write({{"event", "accept-failed"}, {"relay", options.label}, {"error", ec.message()}});
      co_return;
    }
    auto connection = std::make_shared<Connection>(*this, next_id++, std::move(socket));
    live.push_back(connection);
    std::erase_if(live, [](const auto& weak) { return weak.expired(); });
    connection->Touch();
    Spawn(Watch(connection));
    Spawn(Serve(connection));
  }
}

asio::awaitable<void> TcpRelay::Impl::Watch(std::shared_ptr<Connection> c) {
  while (!c->done) {
    c->watchdog.expires_at(c->deadline);
    co_await c->watchdog.async_wait(kNoThrow);
    if (c->done) break;
    if (Clock::now() >= c->deadline) {
      c->deadline_passed = true;
      c->CloseAll();
      break;
    }
  }
}

asio::awaitable<void> TcpRelay::Impl::Serve(std::shared_ptr<Connection> c) {
  auto& record = c->record;
  record["event"] = "connection";
  record["relay"] = options.label;
  record["id"] = c->id;
  error_code peer_ec;
  const auto peer = c->device.stream.next_layer().remote_endpoint(peer_ec);
  if (!peer_ec) record["device"] = peer.address().to_string() + ":" + std::to_string(peer.port());

  if (options.device.tls) {
    c->Touch();
    auto [ec] = co_await c->device.stream.async_handshake(ssl::stream_base::server, kNoThrow);
    if (ec) {
      // The device refused us (or spoke no TLS): this reason is the evidence.
      record["device_tls"] = "failed";
      record["device_tls_error"] = c->deadline_passed ? "no handshake within the deadline" : Reason(ec);
      c->end = "device-handshake-failed";
      Finish(*c);
      co_return;
    }
    record["device_tls"] = "completed";
    record["device_tls_version"] = SSL_get_version(c->device.stream.native_handle());
  } else {
    record["device_tls"] = "none";
  }

  if (options.canned_response) {
    co_await Answer(*c);
    Finish(*c);
    co_return;
  }
  if (!co_await ConnectUpstream(*c)) {
    Finish(*c);
    co_return;
  }
  if (options.capture != nullptr) {
    c->flow = options.capture->OpenFlow("tcp", options.app,
                                        options.label + " connection " + std::to_string(c->id));
  }
  co_await (Pump(c, EditDirection::kToServer) && Pump(c, EditDirection::kToDevice));
  Finish(*c);
}

asio::awaitable<bool> TcpRelay::Impl::ConnectUpstream(Connection& c) {
  const Upstream& up = options.upstream;
  auto& record = c.record;
  record["upstream"] = up.host + ":" + std::to_string(up.port);
  c.Touch();
  tcp::resolver resolver(io);
  auto [resolve_ec, endpoints] = co_await resolver.async_resolve(up.host, std::to_string(up.port), kNoThrow);
  error_code ec = resolve_ec;
  if (!ec) {
    c.Touch();
    auto [connect_ec, endpoint] = co_await asio::async_connect(c.server.stream.next_layer(), endpoints, kNoThrow);
    ec = connect_ec;
  }
  if (ec) {
    record["upstream_result"] = "connect-failed";
    record["upstream_error"] = c.deadline_passed ? "no connection within the deadline" : ec.message();
    c.end = "upstream-failed";
    co_return false;
  }
  if (up.tls) {
    SSL* ssl = c.server.stream.native_handle();
    const std::string name = up.server_name.empty() ? up.host : up.server_name;
    if (!IsIp(name)) SSL_set_tlsext_host_name(ssl, name.c_str());
    const int ok = IsIp(name) ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str())
                              : SSL_set1_host(ssl, name.c_str());
    if (ok != 1) {
      record["upstream_result"] = "tls-failed";
      record["upstream_error"] = "cannot check the name " + name;
      c.end = "upstream-failed";
      co_return false;
    }
    c.Touch();
    auto [handshake_ec] = co_await c.server.stream.async_handshake(ssl::stream_base::client, kNoThrow);
    if (handshake_ec) {
      // E.g. the genuine server wants a client certificate the attacker does not have.
      record["upstream_result"] = "tls-failed";
      record["upstream_error"] = c.deadline_passed ? "no handshake within the deadline"
                                                   : Reason(handshake_ec);
      c.end = "upstream-failed";
      co_return false;
    }
  }
  record["upstream_result"] = up.tls ? "tls" : "plain";
  co_return true;
}

asio::awaitable<void> TcpRelay::Impl::Answer(Connection& c) {
  asio::streambuf request(kMaxRequestHeader);
  c.Touch();
  std::tuple<error_code, std::size_t> read;
  if (c.device.tls) {
    read = co_await asio::async_read_until(c.device.stream, request, "\r\n\r\n", kNoThrow);
  } else {
    read = co_await asio::async_read_until(c.device.stream.next_layer(), request, "\r\n\r\n", kNoThrow);
  }
  const auto& [ec, size] = read;
  if (ec) {
    c.record["request_error"] = Reason(ec);
    c.end = "request-unread";
    co_return;
  }
  std::string head(asio::buffers_begin(request.data()), asio::buffers_begin(request.data()) + size);
  c.record["request_line"] = head.substr(0, head.find("\r\n"));
  c.to_server += size;
  c.Touch();
  auto [write_ec, written] = co_await c.device.Write(asio::buffer(*options.canned_response));
  c.to_device += written;
  c.record["answer"] = "canned";
  if (write_ec) c.end = Reason(write_ec);
  if (c.device.tls) {
    c.Touch();
    co_await c.device.stream.async_shutdown(kNoThrow);
  }
}

asio::awaitable<void> TcpRelay::Impl::Pump(std::shared_ptr<Connection> c, EditDirection direction) {
  Side& from = direction == EditDirection::kToServer ? c->device : c->server;
  Side& to = direction == EditDirection::kToServer ? c->server : c->device;
  std::vector<StreamEdit> edits;
  for (const auto& edit : options.edits) {
    if (edit.direction == direction) edits.emplace_back(edit.find, edit.replace);
  }
  std::array<char, kChunk> buffer;
  std::string end;
  bool first = true;
  for (;;) {
    c->Touch();
    auto [ec, n] = co_await from.ReadSome(asio::buffer(buffer));
    if (ec) {
      end = c->deadline_passed ? "deadline" : Reason(ec);
      break;
    }
    std::string data(buffer.data(), n);
    if (first && direction == EditDirection::kToServer && !options.device.tls) {
      constexpr char kTlsHandshakeRecord = 0x16;
      c->record["device_sent_tls_hello"] = data.front() == kTlsHandshakeRecord;
      if (data.front() == kTlsHandshakeRecord && options.drop_tls_hello) {
        end = "device-spoke-tls";
        c->end = end;
        break;
      }
    }
    first = false;
    for (auto& edit : edits) data = edit.Feed(data);
    if (!co_await Send(*c, to, direction, data)) {
      end = c->deadline_passed ? "deadline" : "write-failed";
      break;
    }
  }
  std::string rest;
  for (auto& edit : edits) {
    rest = edit.Feed(rest) + edit.Flush();
    c->edits_applied += edit.applied();
  }
  if (!rest.empty()) co_await Send(*c, to, direction, rest);
  const char* key = direction == EditDirection::kToServer ? "device_end" : "server_end";
  c->record[key] = end;
  if (end == "deadline") c->end = "deadline";
  c->CloseAll();  // one side ended: the other direction ends with it
}

asio::awaitable<bool> TcpRelay::Impl::Send(Connection& c, Side& to, EditDirection direction,
                                           std::string_view data) {
  c.Capture(direction, data);
  std::size_t slice = data.size();
  if (direction == EditDirection::kToDevice && options.trickle_bytes_per_second > 0) {
    const auto per_tick = options.trickle_bytes_per_second * kTrickleTick.count() / 1000;
    slice = std::max<std::size_t>(1, per_tick);
  }
  asio::steady_timer pace(io);
  for (std::size_t at = 0; at < data.size(); at += slice) {
    const std::size_t n = std::min(slice, data.size() - at);
    c.Touch();
    auto [ec, written] = co_await to.Write(asio::buffer(data.data() + at, n));
    (direction == EditDirection::kToServer ? c.to_server : c.to_device) += written;
    if (ec) co_return false;
    if (slice < data.size() && at + n < data.size()) {
      pace.expires_after(kTrickleTick);
      co_await pace.async_wait(kNoThrow);
    }
  }
  co_return true;
}

void TcpRelay::Impl::Finish(Connection& c) {
  c.done = true;
  c.watchdog.cancel();
  c.CloseAll();
  if (c.deadline_passed && c.end == "closed") c.end = "deadline";
  auto& record = c.record;
  record["end"] = c.end;
  record["bytes_to_server"] = c.to_server;
  record["bytes_to_device"] = c.to_device;
  record["edits_applied"] = c.edits_applied;
  record["duration_ms"] = MsSince(c.started);
  if (options.capture != nullptr && c.flow != 0) {
    options.capture->CloseFlow(c.flow, c.end != "closed");
  }
  log.Write(record);
  {
    std::lock_guard lock(records_mutex);
    records.push_back(record);
  }
  if (options.on_connection) options.on_connection(record);
}

TcpRelay::TcpRelay(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

TcpRelay::~TcpRelay() { Stop(); }

Result<std::unique_ptr<TcpRelay>> TcpRelay::Start(RelayOptions options) {
  if (options.timeout <= std::chrono::milliseconds::zero()) {
    return MakeError(Errc::kInvalidArgument, "relay timeout must be positive");
  }
  if (!options.canned_response && options.upstream.port == 0) {
    return MakeError(Errc::kInvalidArgument, "relay upstream port missing");
  }
  auto impl = std::make_unique<Impl>(std::move(options));
  OTASIM_CHECK(impl->Configure());
  impl->log.Write({{"event", "listening"},
                   {"relay", impl->options.label},
                   {"port", impl->port},
                   {"device_tls", impl->options.device.tls},
                   {"upstream", impl->options.upstream.host + ":" +
                                    std::to_string(impl->options.upstream.port)},
                   {"upstream_tls", impl->options.upstream.tls},
                   {"edits", impl->options.edits.size()},
                   {"trickle_bytes_per_second", impl->options.trickle_bytes_per_second},
                   {"canned_response", impl->options.canned_response.has_value()}});
  Impl* raw = impl.get();
  raw->Spawn(raw->Accept());
  raw->thread = std::thread([raw] {
    raw->io.run();
    std::lock_guard lock(raw->thread_mutex);
    raw->thread_done = true;
    raw->thread_done_cv.notify_all();
  });
  return std::unique_ptr<TcpRelay>(new TcpRelay(std::move(impl)));
}

std::uint16_t TcpRelay::port() const { return impl_->port; }

void TcpRelay::Stop() noexcept {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  Impl* raw = impl_.get();
  asio::post(raw->io, [raw] {
    raw->stopping = true;
    error_code ec;
    raw->acceptor.close(ec);
    for (auto& weak : raw->live) {
      if (auto c = weak.lock()) c->CloseAll();
    }
  });
  {
    std::unique_lock lock(raw->thread_mutex);
    if (!raw->thread_done_cv.wait_for(lock, kStopGrace, [raw] { return raw->thread_done; })) {
      raw->io.stop();  // something did not wind down: stop hard
    }
  }
  if (raw->thread.joinable()) raw->thread.join();
  raw->log.Write({{"event", "stopped"}, {"relay", raw->options.label}});
}

std::vector<nlohmann::json> TcpRelay::Connections() const {
  std::lock_guard lock(impl_->records_mutex);
  return impl_->records;
}

nlohmann::json TcpRelay::Summary() const {
  std::lock_guard lock(impl_->records_mutex);
  return SummarizeConnections(impl_->options.label, impl_->records, {"edits_applied"});
}

}  // namespace otasim::proxy
