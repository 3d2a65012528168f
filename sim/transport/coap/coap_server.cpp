#include "coap_server.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <map>
#include <optional>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>

#include "libcoap_util.hpp"

namespace otasim::coap {
namespace {

using namespace detail;

// libcoap binds its UDP sockets with SO_REUSEADDR, and Linux then may hand the same ephemeral
// port to two such sockets bound to port 0: two parallel servers would share one port and
// answer each other's clients. So a free port is found with a socket *without* SO_REUSEADDR
// (the kernel never gives it a port in use), and the probe and libcoap's bind happen under one
// process-wide lock, so that no other server of this process can take the port in between.
std::mutex g_bind_mutex;

Result<std::uint16_t> FindFreeUdpPort(const coap_address_t& address) {
  const int fd = ::socket(address.addr.sa.sa_family, SOCK_DGRAM, 0);
  if (fd < 0) return MakeError(Errc::kNetwork, "socket() for a free UDP port failed");
  coap_address_t probe = address;
  if (probe.addr.sa.sa_family == AF_INET) {
    probe.addr.sin.sin_port = 0;
  } else {
    probe.addr.sin6.sin6_port = 0;
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  const bool ok = ::bind(fd, &probe.addr.sa, probe.size) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) == 0;
  ::close(fd);
  if (!ok) return MakeError(Errc::kNetwork, "no free UDP port on the bind address");
  return ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                          : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
}

// Options go before the payload: libcoap refuses an option added after it.
void SetError(coap_pdu_t* response, int code, const std::string& diagnostic,
              std::optional<std::size_t> size1 = std::nullopt) {
  coap_pdu_set_code(response, static_cast<coap_pdu_code_t>(COAP_RESPONSE_CODE(code)));
  if (size1) AddUintOption(response, COAP_OPTION_SIZE1, *size1);
  coap_add_data(response, diagnostic.size(), reinterpret_cast<const uint8_t*>(diagnostic.data()));
}

void PutOptionNibble(std::string& out, std::uint32_t value, std::uint8_t& nibble) {
  if (value < 13) {
    nibble = static_cast<std::uint8_t>(value);
  } else if (value < 269) {
    nibble = 13;
    out.push_back(static_cast<char>(value - 13));
  } else {
    nibble = 14;
    out.push_back(static_cast<char>(((value - 269) >> 8) & 0xFF));
    out.push_back(static_cast<char>((value - 269) & 0xFF));
  }
}

// A PDU as it goes on the wire (RFC 7252 §3), built from libcoap's public accessors: header,
// token, options in order (delta-encoded), payload after the 0xFF marker.
std::string DatagramOf(const coap_pdu_t* pdu) {
  const coap_bin_const_t token = coap_pdu_get_token(pdu);
  const coap_mid_t mid = coap_pdu_get_mid(pdu);
  std::string out;
  out.push_back(static_cast<char>(0x40 | ((coap_pdu_get_type(pdu) & 0x03) << 4) |
                                  (token.length & 0x0F)));
  out.push_back(static_cast<char>(coap_pdu_get_code(pdu)));
  out.push_back(static_cast<char>((mid >> 8) & 0xFF));
  out.push_back(static_cast<char>(mid & 0xFF));
  if (token.length > 0) out.append(reinterpret_cast<const char*>(token.s), token.length);

  coap_opt_iterator_t options;
  coap_option_iterator_init(pdu, &options, COAP_OPT_ALL);
  std::uint32_t previous = 0;
  while (coap_opt_t* option = coap_option_next(&options)) {
    const std::uint32_t length = coap_opt_length(option);
    std::string extended;
    std::uint8_t delta_nibble = 0;
    std::uint8_t length_nibble = 0;
    PutOptionNibble(extended, options.number - previous, delta_nibble);
    PutOptionNibble(extended, length, length_nibble);
    out.push_back(static_cast<char>((delta_nibble << 4) | length_nibble));
    out += extended;
    out.append(reinterpret_cast<const char*>(coap_opt_value(option)), length);
    previous = options.number;
  }
  std::size_t size = 0;
  const std::uint8_t* data = nullptr;
  if (coap_get_data(pdu, &size, &data) && size > 0) {
    out.push_back(static_cast<char>(0xFF));
    out.append(reinterpret_cast<const char*>(data), size);
  }
  return out;
}

// What libcoap sends for a response left without a code: an empty ACK to a confirmable request
// (no token, RFC 7252 §4.2), nothing to a non-confirmable one.
std::string EmptyAckFor(const coap_pdu_t* request) {
  if (coap_pdu_get_type(request) != COAP_MESSAGE_CON) return {};
  const coap_mid_t mid = coap_pdu_get_mid(request);
  return {static_cast<char>(0x40 | (COAP_MESSAGE_ACK << 4)), 0,
          static_cast<char>((mid >> 8) & 0xFF), static_cast<char>(mid & 0xFF)};
}

class ServerImpl final : public Server {
 public:
  ServerImpl(ServerOptions options, Handler handler)
      : options_(std::move(options)), handler_(std::move(handler)) {}
  ~ServerImpl() override { Stop(); }

  Status Start();

  std::uint16_t port() const override { return port_; }
  bool secure() const override { return options_.psk || options_.cert; }
  std::string BaseUri() const override {
    std::string host = options_.bind_address;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    return std::string(secure() ? "coaps://" : "coap://") + host + ":" + std::to_string(port_);
  }

  void Stop() override {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (context_ != nullptr) {
      coap_free_context(context_);  // frees the endpoint, sessions and resources too
      context_ = nullptr;
    }
  }

 private:
  static ServerImpl* From(coap_session_t* session) {
    return static_cast<ServerImpl*>(coap_get_app_data(coap_session_get_context(session)));
  }

  static void OnRequest(coap_resource_t*, coap_session_t* session, const coap_pdu_t* request,
                        const coap_string_t* query, coap_pdu_t* response) {
    From(session)->HandleRequest(session, request, query, response);
  }

  static const coap_bin_const_t* OnPskIdentity(coap_bin_const_t* identity, coap_session_t*,
                                               void* arg) {
    auto* self = static_cast<ServerImpl*>(arg);
    std::string name(reinterpret_cast<const char*>(identity->s), identity->length);
    auto it = self->options_.psk->keys.find(name);
    if (it == self->options_.psk->keys.end()) return nullptr;  // unknown identity: handshake fails
    // libcoap copies the key before this returns to it.
    self->psk_scratch_.s = reinterpret_cast<const uint8_t*>(it->second.data());
    self->psk_scratch_.length = it->second.size();
    return &self->psk_scratch_;
  }

  static int OnClientCn(const char* cn, const uint8_t*, size_t, coap_session_t* session,
                        unsigned depth, int validated, void* arg) {
    // Depth 0 is the client's own certificate; the chain was verified by OpenSSL (validated).
    if (depth == 0 && validated) static_cast<ServerImpl*>(arg)->client_cn_[session] = cn;
    return validated;
  }

  static int OnEvent(coap_session_t* session, coap_event_t event) {
    if (event == COAP_EVENT_SERVER_SESSION_DEL || event == COAP_EVENT_DTLS_CLOSED) {
      From(session)->client_cn_.erase(session);  // a later session may reuse the address
    }
    return 0;
  }

  void HandleRequest(coap_session_t* session, const coap_pdu_t* pdu, const coap_string_t* query,
                     coap_pdu_t* response);
  void Answer(Request& request, const coap_pdu_t* pdu, coap_pdu_t* response);
  void Observe(const Request& request, const coap_pdu_t* pdu, const coap_pdu_t* response);
  void Respond(const Response& answer, const Request& request, coap_pdu_t* response);

  ServerOptions options_;
  Handler handler_;
  coap_context_t* context_ = nullptr;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  // Server thread only (libcoap callbacks).
  coap_bin_const_t psk_scratch_{};
  std::map<coap_session_t*, std::string> client_cn_;
};

Status ServerImpl::Start() {
  EnsureStarted();
  if (options_.block_szx > 6) {
    return MakeError(Errc::kInvalidArgument, "block_szx must be 0..6 (16..1024 bytes)");
  }
  OTASIM_TRY(coap_address_t address, MakeAddress(options_.bind_address, options_.port));
  context_ = coap_new_context(nullptr);
  if (context_ == nullptr) return MakeError(Errc::kInternal, "coap_new_context failed");
  coap_set_app_data(context_, this);
  coap_register_event_handler(context_, OnEvent);
  // Block-wise transfer is done here, not by libcoap, so that bodies are read block by block.
  coap_context_set_block_mode(context_, 0);

  if (options_.psk) {
    coap_dtls_spsk_t setup{};
    setup.version = COAP_DTLS_SPSK_SETUP_VERSION;
    setup.validate_id_call_back = OnPskIdentity;
    setup.id_call_back_arg = this;
    if (!coap_context_set_psk2(context_, &setup)) {
      return MakeError(Errc::kCrypto, "coap_context_set_psk2 failed");
    }
  }
  if (options_.cert) {
    const CertServerConfig& cert = *options_.cert;
    coap_dtls_pki_t setup{};
    setup.version = COAP_DTLS_PKI_SETUP_VERSION;
    setup.verify_peer_cert = cert.require_client_cert ? 1 : 0;
    setup.check_common_ca = cert.require_client_cert ? 1 : 0;
    setup.cert_chain_validation = 1;
    setup.cert_chain_verify_depth = 3;
    setup.validate_cn_call_back = OnClientCn;
    setup.cn_call_back_arg = this;
    setup.pki_key.key_type = COAP_PKI_KEY_PEM_BUF;
    auto& pem = setup.pki_key.key.pem_buf;
    pem.public_cert = reinterpret_cast<const uint8_t*>(cert.cert_pem.c_str());
    pem.public_cert_len = cert.cert_pem.size();
    pem.private_key = reinterpret_cast<const uint8_t*>(cert.key_pem.c_str());
    pem.private_key_len = cert.key_pem.size();
    if (cert.require_client_cert) {
      pem.ca_cert = reinterpret_cast<const uint8_t*>(cert.client_ca_pem.c_str());
      pem.ca_cert_len = cert.client_ca_pem.size();
    }
    if (!coap_context_set_pki(context_, &setup)) {
      return MakeError(Errc::kCrypto, "coap_context_set_pki failed (bad certificate or key?)");
    }
  }

  std::unique_lock bind_lock(g_bind_mutex);
  if (options_.port == 0) {
    OTASIM_TRY(std::uint16_t free_port, FindFreeUdpPort(address));
    if (address.addr.sa.sa_family == AF_INET) {
      address.addr.sin.sin_port = htons(free_port);
    } else {
      address.addr.sin6.sin6_port = htons(free_port);
    }
  }
  coap_endpoint_t* endpoint =
      coap_new_endpoint(context_, &address, secure() ? COAP_PROTO_DTLS : COAP_PROTO_UDP);
  bind_lock.unlock();
  if (endpoint == nullptr) {
    return MakeError(Errc::kNetwork, "cannot bind UDP " + options_.bind_address + ":" +
                                         std::to_string(options_.port));
  }
  // libcoap reads the bound address back (getsockname), so port 0 shows the kernel's choice:
  // "127.0.0.1:40123 UDP" or "[::1]:40123 DTLS".
  std::string bound = coap_endpoint_str(endpoint);
  auto space = bound.find(' ');
  auto colon = bound.rfind(':', space);
  if (colon == std::string::npos) return MakeError(Errc::kInternal, "endpoint " + bound);
  port_ = static_cast<std::uint16_t>(std::stoul(bound.substr(colon + 1, space - colon - 1)));

  coap_resource_t* resource = coap_resource_unknown_init2(OnRequest, 0);
  for (coap_request_t method : {COAP_REQUEST_GET, COAP_REQUEST_POST, COAP_REQUEST_DELETE,
                                COAP_REQUEST_FETCH, COAP_REQUEST_PATCH, COAP_REQUEST_IPATCH}) {
    coap_register_request_handler(resource, method, OnRequest);
  }
  coap_add_resource(context_, resource);

  thread_ = std::thread([this] {
    // The timeout bounds how long Stop() waits for the loop to see the flag.
    while (!stop_) coap_io_process(context_, 100);
  });
  return {};
}

void ServerImpl::HandleRequest(coap_session_t* session, const coap_pdu_t* pdu,
                               const coap_string_t* query, coap_pdu_t* response) {
  Request request = RequestOfPdu(pdu);
  request.peer = FormatAddress(coap_session_get_addr_remote(session));
  if (query != nullptr) request.query.assign(reinterpret_cast<const char*>(query->s), query->length);
  const coap_bin_const_t* identity = coap_session_get_psk_identity(session);
  if (identity != nullptr && identity->length > 0) {
    request.identity.assign(reinterpret_cast<const char*>(identity->s), identity->length);
  } else if (auto it = client_cn_.find(session); it != client_cn_.end()) {
    request.identity = it->second;
  }
  Answer(request, pdu, response);
  if (options_.observer) Observe(request, pdu, response);
}

void ServerImpl::Observe(const Request& request, const coap_pdu_t* pdu,
                         const coap_pdu_t* response) {
  try {
    const bool answered = coap_pdu_get_code(response) != COAP_EMPTY_CODE;
    options_.observer(request, DatagramOf(pdu), answered ? DatagramOf(response) : EmptyAckFor(pdu));
  } catch (...) {  // an observer must not take the server down
  }
}

void ServerImpl::Answer(Request& request, const coap_pdu_t* pdu, coap_pdu_t* response) {
  auto block2 = Block2Of(pdu);
  if (!block2.ok()) {
    bool bert = block2.error().message().find("BERT") != std::string::npos;
    SetError(response, bert ? 400 : 402, block2.error().message());
    return;
  }
  request.block2 = *block2;
  if (request.payload.size() > options_.max_request_payload) {
    SetError(response, 413, "payload larger than " + std::to_string(options_.max_request_payload),
             options_.max_request_payload);
    return;
  }

  Response answer;
  try {
    answer = handler_(request);
  } catch (const std::exception& error) {
    answer = Response::Text(500, std::string("handler threw: ") + error.what());
  } catch (...) {
    answer = Response::Text(500, "handler threw");
  }
  // Leaving the code unset sends nothing (only an empty ACK for a confirmable request).
  if (answer.drop) return;
  Respond(answer, request, response);
}

void ServerImpl::Respond(const Response& answer, const Request& request, coap_pdu_t* response) {
  const std::size_t max_block = std::size_t{16} << options_.block_szx;
  if (!IsSuccess(answer.code)) {
    // An error answers the request whatever block it asked for: its diagnostic payload is not
    // a body to serve block-wise (RFC 7959 §2.2), so it is cut to one block instead.
    coap_pdu_set_code(response, static_cast<coap_pdu_code_t>(COAP_RESPONSE_CODE(answer.code)));
    if (answer.content_format) {
      AddUintOption(response, COAP_OPTION_CONTENT_FORMAT, *answer.content_format);
    }
    std::size_t length = std::min(answer.payload.size(), max_block);
    coap_add_data(response, length, reinterpret_cast<const uint8_t*>(answer.payload.data()));
    return;
  }
  const bool streamed = static_cast<bool>(answer.blocks);
  const bool blockwise = streamed || request.block2 || answer.payload.size() > max_block;
  if (!blockwise) {
    coap_pdu_set_code(response, static_cast<coap_pdu_code_t>(COAP_RESPONSE_CODE(answer.code)));
    if (answer.content_format) {
      AddUintOption(response, COAP_OPTION_CONTENT_FORMAT, *answer.content_format);
    }
    coap_add_data(response, answer.payload.size(),
                  reinterpret_cast<const uint8_t*>(answer.payload.data()));
    return;
  }

  // The block the client asked for, in the server's block size if the client asked for a larger
  // one (RFC 7959 §2.4: the server may answer with a smaller block, renumbered).
  Block block;
  block.szx = options_.block_szx;
  if (request.block2) {
    block.szx = std::min(request.block2->szx, options_.block_szx);
    std::uint64_t num = std::uint64_t{request.block2->num} << (request.block2->szx - block.szx);
    if (num >= (1u << 20)) {
      SetError(response, 402, "block number out of range");
      return;
    }
    block.num = static_cast<std::uint32_t>(num);
  }
  // Read one byte beyond the block: whether it exists says if more blocks follow, whatever
  // Size2 declares.
  std::vector<std::uint8_t> buffer(block.Size() + 1);
  std::size_t got = 0;
  if (streamed) {
    auto read = answer.blocks(block.Offset(), buffer);
    if (!read.ok()) {
      SetError(response, 500, read.error().What());
      return;
    }
    got = std::min(*read, buffer.size());
  } else if (block.Offset() < answer.payload.size()) {
    got = std::min<std::size_t>(buffer.size(), answer.payload.size() - block.Offset());
    std::copy_n(answer.payload.data() + block.Offset(), got, buffer.data());
  }
  if (got == 0 && block.num > 0) {
    SetError(response, 402, "block " + std::to_string(block.num) + " is beyond the end");
    return;
  }
  block.more = got > block.Size();
  got = std::min(got, block.Size());

  coap_pdu_set_code(response, static_cast<coap_pdu_code_t>(COAP_RESPONSE_CODE(answer.code)));
  if (answer.content_format) {
    AddUintOption(response, COAP_OPTION_CONTENT_FORMAT, *answer.content_format);
  }
  AddBlock2(response, block);
  std::optional<std::uint64_t> size = answer.size;
  if (!streamed) size = answer.payload.size();
  if (size) AddUintOption(response, COAP_OPTION_SIZE2, *size);
  coap_add_data(response, got, buffer.data());
}

}  // namespace

Result<std::unique_ptr<Server>> StartServer(const ServerOptions& options, Handler handler) {
  if (!handler) return MakeError(Errc::kInvalidArgument, "CoAP server without a handler");
  auto server = std::make_unique<ServerImpl>(options, std::move(handler));
  if (Status started = server->Start(); !started.ok()) return started.error();
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace otasim::coap
