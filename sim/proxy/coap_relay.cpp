#include "coap_relay.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "coap_client.hpp"
#include "coap_server.hpp"
#include "proxy_log.hpp"

namespace otasim::proxy {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kMaxDatagram = 65536;
constexpr std::uint64_t kCaptureCap = 1 << 20;  // bytes kept per direction and flow
constexpr std::size_t kMaxLoggedRequests = 20;
constexpr int kPollMs = 100;  // how often the front loop looks at the stop flag and deadlines

std::int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
}

std::string AlertName(unsigned description) {
  switch (description) {
    case 0: return "close_notify";
    case 10: return "unexpected_message";
    case 20: return "bad_record_mac";
    case 40: return "handshake_failure";
    case 42: return "bad_certificate";
    case 43: return "unsupported_certificate";
    case 44: return "certificate_revoked";
    case 45: return "certificate_expired";
    case 46: return "certificate_unknown";
    case 47: return "illegal_parameter";
    case 48: return "unknown_ca";
    case 49: return "access_denied";
    case 50: return "decode_error";
    case 51: return "decrypt_error";
    case 70: return "protocol_version";
    case 71: return "insufficient_security";
    case 80: return "internal_error";
    case 90: return "user_canceled";
    case 112: return "unrecognized_name";
    case 115: return "unknown_psk_identity";
    default: return "alert " + std::to_string(description);
  }
}

// What the DTLS record headers of one side showed (RFC 6347 §4.1: type, version, epoch,
// sequence number, length). Alerts before the handshake completes are in epoch 0, in the clear.
struct DtlsSide {
  bool hello = false;         // device: ClientHello; relay: ServerHello
  bool certificate = false;   // relay: its Certificate message went out
  bool change_cipher = false;  // this side finished its part of the handshake
  std::uint64_t application_records = 0;
  std::vector<std::string> alerts;  // "fatal unknown_ca", "encrypted" (epoch > 0)
};

// True when the datagram is made of DTLS records (content type 20..25, major version 0xfe).
bool LooksLikeDtls(std::string_view datagram) {
  return datagram.size() >= 13 && static_cast<unsigned char>(datagram[0]) >= 20 &&
         static_cast<unsigned char>(datagram[0]) <= 25 &&
         static_cast<unsigned char>(datagram[1]) == 0xfe;
}

void InspectDtls(std::string_view datagram, DtlsSide& side) {
  std::size_t at = 0;
  while (at + 13 <= datagram.size()) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(datagram[at + i]); };
    const unsigned type = byte(0);
    const unsigned epoch = (byte(3) << 8) | byte(4);
    const std::size_t length = (std::size_t{byte(11)} << 8) | byte(12);
    if (byte(1) != 0xfe || at + 13 + length > datagram.size()) return;  // not (whole) DTLS
    const std::string_view fragment = datagram.substr(at + 13, length);
    if (type == 22 && epoch == 0 && !fragment.empty()) {
      const auto message = static_cast<unsigned char>(fragment[0]);
      if (message == 1 || message == 2) side.hello = true;
      if (message == 11) side.certificate = true;
    } else if (type == 20) {
      side.change_cipher = true;
    } else if (type == 21) {
      if (epoch == 0 && fragment.size() >= 2) {
        side.alerts.push_back(std::string(fragment[0] == 2 ? "fatal " : "warning ") +
                              AlertName(static_cast<unsigned char>(fragment[1])));
      } else {
        side.alerts.push_back("encrypted");
      }
    } else if (type == 23) {
      ++side.application_records;
    }
    at += 13 + length;
  }
}

std::string AddressText(const sockaddr_in& address) {
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &address.sin_addr, text, sizeof text);
  return std::string(text) + ":" + std::to_string(ntohs(address.sin_port));
}

Result<int> BoundUdpSocket(std::uint16_t* port) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return MakeError(Errc::kNetwork, "socket() for the CoAP relay failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    return MakeError(Errc::kNetwork, "cannot bind a UDP port on 127.0.0.1 for the CoAP relay");
  }
  *port = ntohs(address.sin_port);
  return fd;
}

// One device address: its own socket towards the relay's CoAP server, so that the server sees
// one peer per device flow (and the handler can tell which flow a request belongs to).
struct Flow {
  sockaddr_in device{};
  int fd = -1;
  std::uint16_t local_port = 0;
  Clock::time_point started = Clock::now();
  Clock::time_point last = Clock::now();
  DtlsSide from_device, from_relay;
  bool device_sent_tls_hello = false;  // plaintext front: the device opened with DTLS
  std::uint64_t datagrams_to_server = 0, datagrams_to_device = 0, datagrams_dropped = 0;
  std::uint64_t bytes_to_server = 0, bytes_to_device = 0;
  std::uint64_t requests = 0, relayed = 0, payload_bytes_to_device = 0;
  int forwarding = 0;  // requests of this flow waiting for the genuine server: not idle
  nlohmann::json request_lines = nlohmann::json::array();
  std::string upstream_result, upstream_error;
  std::uint64_t capture_flow = 0;
  std::array<std::uint64_t, 2> captured{0, 0};
};

}  // namespace

struct CoapRelay::Impl {
  explicit Impl(RelayOptions relay_options) : options(std::move(relay_options)) {}

  Status Configure();
  void Run();
  void FromDevice();
  void FromServer(Flow& flow);
  void Finish(Flow& flow, const std::string& end);  // mutex held
  coap::Response Forward(const coap::Request& request);
  void Observe(const coap::Request& request, std::string_view to_server, std::string_view to_device);
  Flow* FlowOfPeer(const std::string& peer);  // mutex held

  RelayOptions options;
  ProxyLog log;
  int front = -1;
  std::uint16_t port = 0;
  std::unique_ptr<coap::Server> server;
  std::thread thread;
  std::atomic<bool> stop{false};
  bool stopped = false;

  mutable std::mutex mutex;  // flows and records: the front thread and the server thread
  std::map<std::string, Flow> flows;  // by device address
  std::vector<nlohmann::json> records;

  // The server thread only.
  std::unique_ptr<coap::Client> upstream;
};

Status CoapRelay::Impl::Configure() {
  OTASIM_CHECK(log.Open(options.log_path));
  coap::ServerOptions server_options;
  if (options.device.tls) {
    server_options.cert = coap::CertServerConfig{options.device.cert_pem, options.device.key_pem};
  }
  server_options.observer = [this](const coap::Request& request, std::string_view to_server,
                                   std::string_view to_device) {
    Observe(request, to_server, to_device);
  };
  OTASIM_TRY(server, coap::StartServer(server_options, [this](const coap::Request& request) {
               return Forward(request);
             }));
  OTASIM_TRY(front, BoundUdpSocket(&port));
  return {};
}

Flow* CoapRelay::Impl::FlowOfPeer(const std::string& peer) {
  const auto colon = peer.rfind(':');
  if (colon == std::string::npos) return nullptr;
  const std::string local = peer.substr(colon + 1);
  for (auto& [key, flow] : flows) {
    if (std::to_string(flow.local_port) == local) return &flow;
  }
  return nullptr;
}

void CoapRelay::Impl::Run() {
  std::vector<pollfd> polled;
  std::vector<std::string> keys;
  while (!stop) {
    polled.assign(1, pollfd{front, POLLIN, 0});
    keys.assign(1, "");
    {
      std::lock_guard lock(mutex);
      for (auto& [key, flow] : flows) {
        polled.push_back(pollfd{flow.fd, POLLIN, 0});
        keys.push_back(key);
      }
    }
    if (::poll(polled.data(), polled.size(), kPollMs) < 0 && errno != EINTR) break;
    if (polled[0].revents & POLLIN) FromDevice();
    std::lock_guard lock(mutex);
    for (std::size_t i = 1; i < polled.size(); ++i) {
      auto it = flows.find(keys[i]);
      if (it != flows.end() && (polled[i].revents & POLLIN)) FromServer(it->second);
    }
    // A device flow ends when neither side has sent anything for `timeout`.
    for (auto it = flows.begin(); it != flows.end();) {
      if (it->second.forwarding == 0 && Clock::now() - it->second.last >= options.timeout) {
        Finish(it->second, "idle");
        it = flows.erase(it);
      } else {
        ++it;
      }
    }
  }
}

void CoapRelay::Impl::FromDevice() {
  std::string buffer(kMaxDatagram, '\0');
  for (;;) {
    sockaddr_in from{};
    socklen_t length = sizeof from;
    const ssize_t got = ::recvfrom(front, buffer.data(), buffer.size(), 0,
                                   reinterpret_cast<sockaddr*>(&from), &length);
    if (got < 0) return;  // EAGAIN: all read
    const std::string_view datagram(buffer.data(), static_cast<std::size_t>(got));
    const std::string key = AddressText(from);
    std::lock_guard lock(mutex);
    auto it = flows.find(key);
    if (it == flows.end()) {
      Flow flow;
      flow.device = from;
      std::uint16_t unused = 0;
      auto fd = BoundUdpSocket(&unused);
      if (!fd.ok()) continue;  // dropped: the device retransmits
      flow.fd = *fd;
      sockaddr_in inner{};
      inner.sin_family = AF_INET;
      inner.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      inner.sin_port = htons(server->port());
      ::connect(flow.fd, reinterpret_cast<sockaddr*>(&inner), sizeof inner);
      flow.local_port = unused;
      if (options.capture != nullptr) {
        flow.capture_flow = options.capture->OpenFlow("udp", "coap", options.label + " " + key);
      }
      it = flows.emplace(key, std::move(flow)).first;
    }
    Flow& flow = it->second;
    flow.last = Clock::now();
    if (options.device.tls) {
      InspectDtls(datagram, flow.from_device);
    } else if (LooksLikeDtls(datagram)) {
      flow.device_sent_tls_hello = true;
      // A plaintext CoAP server cannot answer a handshake; libcoap would drop it anyway.
      if (options.drop_tls_hello) {
        ++flow.datagrams_dropped;
        continue;
      }
    }
    ++flow.datagrams_to_server;
    flow.bytes_to_server += datagram.size();
    ::send(flow.fd, datagram.data(), datagram.size(), 0);
  }
}

void CoapRelay::Impl::FromServer(Flow& flow) {
  std::string buffer(kMaxDatagram, '\0');
  for (;;) {
    const ssize_t got = ::recv(flow.fd, buffer.data(), buffer.size(), 0);
    if (got < 0) return;
    const std::string_view datagram(buffer.data(), static_cast<std::size_t>(got));
    flow.last = Clock::now();
    if (options.device.tls) InspectDtls(datagram, flow.from_relay);
    ++flow.datagrams_to_device;
    flow.bytes_to_device += datagram.size();
    ::sendto(front, datagram.data(), datagram.size(), 0,
             reinterpret_cast<const sockaddr*>(&flow.device), sizeof flow.device);
  }
}

void CoapRelay::Impl::Finish(Flow& flow, const std::string& end) {
  nlohmann::json record = {{"event", "connection"},
                           {"relay", options.label},
                           {"transport", "udp"},
                           {"device", AddressText(flow.device)},
                           {"upstream", options.upstream.host + ":" +
                                            std::to_string(options.upstream.port)}};
  if (!options.device.tls) {
    record["device_tls"] = "none";
    record["device_sent_tls_hello"] = flow.device_sent_tls_hello;
    record["datagrams_dropped"] = flow.datagrams_dropped;
  } else {
    const DtlsSide& device = flow.from_device;
    const auto fatal = std::find_if(device.alerts.begin(), device.alerts.end(), [](const auto& a) {
      return a.rfind("fatal", 0) == 0;
    });
    std::string error;
    if (fatal != device.alerts.end()) {
      error = "the device sent alert " + *fatal + (flow.from_relay.certificate
                                                       ? " after the relay's certificate"
                                                       : "");
    } else if (!flow.from_relay.alerts.empty() && !device.change_cipher) {
      error = "the relay's DTLS server sent alert " + flow.from_relay.alerts.front();
    } else if (!device.change_cipher) {
      error = device.hello ? (flow.from_relay.certificate
                                  ? "handshake never completed: the device went silent after the "
                                    "relay's certificate (no Finished, no alert)"
                                  : "handshake never completed: no certificate was sent")
                           : "no DTLS ClientHello from the device";
    }
    record["device_tls"] = error.empty() ? "completed" : "failed";
    if (!error.empty()) record["device_tls_error"] = error;
    record["device_handshake"] = {{"client_hello", device.hello},
                                  {"relay_certificate_sent", flow.from_relay.certificate},
                                  {"device_finished", device.change_cipher},
                                  {"device_alerts", device.alerts},
                                  {"relay_alerts", flow.from_relay.alerts},
                                  {"device_application_records", device.application_records}};
  }
  record["requests"] = flow.requests;
  record["requests_relayed"] = flow.relayed;
  if (!flow.request_lines.empty()) record["request_lines"] = flow.request_lines;
  if (!flow.upstream_result.empty()) record["upstream_result"] = flow.upstream_result;
  if (!flow.upstream_error.empty()) record["upstream_error"] = flow.upstream_error;
  record["datagrams_to_server"] = flow.datagrams_to_server;
  record["datagrams_to_device"] = flow.datagrams_to_device;
  record["bytes_to_server"] = flow.bytes_to_server;
  record["bytes_to_device"] = flow.bytes_to_device;
  record["payload_bytes_to_device"] = flow.payload_bytes_to_device;
  record["end"] = end;
  record["duration_ms"] = MsSince(flow.started);
  ::close(flow.fd);
  flow.fd = -1;
  if (options.capture != nullptr && flow.capture_flow != 0) {
    options.capture->CloseFlow(flow.capture_flow, false);
  }
  log.Write(record);
  records.push_back(record);
  if (options.on_connection) options.on_connection(record);
}

// Runs on the relay's CoAP server thread; each upstream exchange ends by `timeout`.
coap::Response CoapRelay::Impl::Forward(const coap::Request& request) {
  std::string line = request.method + " " + request.path;
  if (!request.query.empty()) line += "?" + request.query;
  if (request.block2) line += " block " + std::to_string(request.block2->num);
  {
    std::lock_guard lock(mutex);
    if (Flow* flow = FlowOfPeer(request.peer)) ++flow->forwarding;
  }
  const auto note = [&](const std::string& result, const std::string& error, bool relayed,
                        std::uint64_t payload) {
    std::lock_guard lock(mutex);
    Flow* flow = FlowOfPeer(request.peer);
    if (flow == nullptr) return;
    flow->forwarding = std::max(0, flow->forwarding - 1);
    flow->last = Clock::now();
    ++flow->requests;
    if (relayed) ++flow->relayed;
    flow->payload_bytes_to_device += payload;
    if (flow->request_lines.size() < kMaxLoggedRequests) flow->request_lines.push_back(line);
    flow->upstream_result = result;
    if (!error.empty()) flow->upstream_error = error;
  };
  const std::string secured = options.upstream.tls ? "dtls" : "plain";
  const auto failed = [&](const Error& error) {
    upstream.reset();  // a failed session may hold later requests: the next one gets a new one
    note(error.code() == Errc::kCrypto ? "dtls-failed" : "failed", error.What(), false, 0);
    return coap::Response::Text(error.code() == Errc::kTimeout ? 504 : 502,
                                "relay: the upstream exchange failed");
  };
  if (!upstream) {
    coap::ClientOptions client;
    if (options.upstream.tls) {
      coap::CertClientConfig cert;
      cert.ca_pem = options.upstream.ca_pem;
      client.cert = std::move(cert);
    }
    client.exchange_timeout = options.timeout;
    client.session_timeout = options.timeout * 60;
    auto connected = coap::Connect(options.upstream.host, options.upstream.port, client);
    if (!connected.ok()) return failed(connected.error());
    upstream = std::move(*connected);
  }

  if (request.method == "POST") {
    // The request's Content-Format is not passed on by the server: JSON is what devices post.
    const std::optional<unsigned> format =
        !request.payload.empty() && request.payload.front() == '{' ? std::optional<unsigned>(50)
                                                                     : std::nullopt;
    auto answer = upstream->Post(request.path, request.payload, format, request.query);
    if (!answer.ok()) return failed(answer.error());
    note(secured, "", true, answer->payload.size());
    coap::Response response;
    response.code = answer->code;
    response.content_format = answer->content_format;
    response.payload = std::move(answer->payload);
    return response;
  }
  if (request.method != "GET") {
    note(secured, "", false, 0);
    return coap::Response::Text(501, "relay: only GET and POST are relayed");
  }

  // The block the device asked for, fetched upstream in the same size; a server that answers in
  // smaller blocks is read until the device's block is full.
  coap::Block want = request.block2.value_or(coap::Block{});
  coap::BlockwiseRequest upstream_request{request.path, request.query, want.num, want.szx};
  auto body = std::make_shared<std::string>();
  auto result = upstream->GetBlockwise(
      upstream_request, [&](std::uint64_t, const std::uint8_t* data, std::size_t size) {
        body->append(reinterpret_cast<const char*>(data), size);
        return body->size() < want.Size();
      });
  if (!result.ok()) return failed(result.error());
  if (!coap::IsSuccess(result->code)) {
    note(secured, "", true, result->error_payload.size());
    return coap::Response::Text(result->code, result->error_payload);
  }
  note(secured, "", true, body->size());
  coap::Response response;
  response.code = result->code;
  response.content_format = result->content_format;
  if (!request.block2 && result->complete && body->size() <= want.Size()) {
    response.payload = std::move(*body);
    return response;
  }
  // The server reads one byte beyond the block to learn whether more follow: a placeholder
  // byte says so when the genuine server said so.
  const bool more = !result->complete;
  response.blocks = [body, more](std::uint64_t, std::span<std::uint8_t> out) -> Result<std::size_t> {
    const std::size_t n = std::min(body->size(), out.size());
    std::copy_n(reinterpret_cast<const std::uint8_t*>(body->data()), n, out.data());
    if (more && n < out.size()) {
      out[n] = 0;
      return n + 1;
    }
    return n;
  };
  response.size = result->size2;
  return response;
}

void CoapRelay::Impl::Observe(const coap::Request& request, std::string_view to_server,
                              std::string_view to_device) {
  if (options.capture == nullptr) return;
  std::lock_guard lock(mutex);
  Flow* flow = FlowOfPeer(request.peer);
  if (flow == nullptr || flow->capture_flow == 0) return;
  const auto keep = [&](CaptureDirection direction, std::string_view bytes) {
    auto& kept = flow->captured[direction == CaptureDirection::kToServer ? 0 : 1];
    if (bytes.empty() || kept >= kCaptureCap) return;
    const std::string_view part = bytes.substr(0, kCaptureCap - kept);
    kept += part.size();
    options.capture->Record(flow->capture_flow, direction, part, bytes.size());
  };
  keep(CaptureDirection::kToServer, to_server);
  keep(CaptureDirection::kToDevice, to_device);
}

CoapRelay::CoapRelay(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

CoapRelay::~CoapRelay() { Stop(); }

Result<std::unique_ptr<CoapRelay>> CoapRelay::Start(RelayOptions options) {
  if (options.timeout <= milliseconds::zero()) {
    return MakeError(Errc::kInvalidArgument, "relay timeout must be positive");
  }
  if (options.upstream.port == 0) {
    return MakeError(Errc::kInvalidArgument, "relay upstream port missing");
  }
  if (!options.edits.empty() || options.trickle_bytes_per_second != 0 ||
      options.canned_response) {
    return MakeError(Errc::kUnsupported,
                     "the CoAP relay has no byte edits, trickle or canned responses");
  }
  if (options.device.tls && (options.device.cert_pem.empty() || options.device.key_pem.empty())) {
    return MakeError(Errc::kInvalidArgument, "CoAPS relay without a certificate and key");
  }
  auto impl = std::make_unique<Impl>(std::move(options));
  if (Status configured = impl->Configure(); !configured.ok()) {
    if (impl->server) impl->server->Stop();
    if (impl->front >= 0) ::close(impl->front);
    return configured.error();
  }
  impl->log.Write({{"event", "listening"},
                   {"relay", impl->options.label},
                   {"transport", "udp"},
                   {"port", impl->port},
                   {"device_tls", impl->options.device.tls},
                   {"upstream", impl->options.upstream.host + ":" +
                                    std::to_string(impl->options.upstream.port)},
                   {"upstream_tls", impl->options.upstream.tls}});
  Impl* raw = impl.get();
  raw->thread = std::thread([raw] { raw->Run(); });
  return std::unique_ptr<CoapRelay>(new CoapRelay(std::move(impl)));
}

std::uint16_t CoapRelay::port() const { return impl_->port; }

void CoapRelay::Stop() noexcept {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->stop = true;
  if (impl_->thread.joinable()) impl_->thread.join();
  // The server thread may still be forwarding: stop it before the flows go.
  impl_->server->Stop();
  // What is still queued (a device's last alert sent just before it gave up) is evidence.
  impl_->FromDevice();
  {
    std::lock_guard lock(impl_->mutex);
    for (auto& [key, flow] : impl_->flows) impl_->FromServer(flow);
    for (auto& [key, flow] : impl_->flows) impl_->Finish(flow, "stopped");
    impl_->flows.clear();
  }
  ::close(impl_->front);
  impl_->upstream.reset();
  impl_->log.Write({{"event", "stopped"}, {"relay", impl_->options.label}});
}

std::vector<nlohmann::json> CoapRelay::Connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->records;
}

nlohmann::json CoapRelay::Summary() const {
  std::lock_guard lock(impl_->mutex);
  nlohmann::json summary = SummarizeConnections(impl_->options.label, impl_->records, {"requests"});
  summary["transport"] = "udp";
  return summary;
}

}  // namespace otasim::proxy
