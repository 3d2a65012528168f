#include "coap_client.hpp"

#include <arpa/inet.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "libcoap_util.hpp"
#include "otasim/crypto.hpp"

namespace otasim::coap {
namespace {

using namespace detail;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

const char* NackName(coap_nack_reason_t reason) {
  switch (reason) {
    case COAP_NACK_TOO_MANY_RETRIES: return "no acknowledgement after every retransmission";
    case COAP_NACK_NOT_DELIVERABLE: return "datagram not deliverable";
    case COAP_NACK_RST: return "the server reset the exchange";
    case COAP_NACK_TLS_FAILED: return "DTLS failed";
    case COAP_NACK_ICMP_ISSUE: return "ICMP error (port unreachable?)";
  }
  return "unknown NACK";
}

// Adds one option per non-empty part of `text` split at `separator`.
bool AddSplit(coap_pdu_t* pdu, coap_option_num_t number, const std::string& text, char separator) {
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(separator, start);
    if (end == std::string::npos) end = text.size();
    if (end > start &&
        coap_add_option(pdu, number, end - start,
                        reinterpret_cast<const uint8_t*>(text.data() + start)) == 0) {
      return false;
    }
    start = end + 1;
  }
  return true;
}

class ClientImpl;

// libcoap's certificate callback, once per certificate of the server's chain: the leaf (depth
// 0) must name the host we meant to reach.
int CheckServerName(const char* cn, const uint8_t* der, size_t der_length, coap_session_t* session,
                    unsigned depth, int validated, void* arg);

class ClientImpl final : public Client {
 public:
  explicit ClientImpl(ClientOptions options) : options_(std::move(options)) {}
  ~ClientImpl() override {
    if (context_ != nullptr) coap_free_context(context_);  // releases the session too
  }

  Status Open(const std::string& host, std::uint16_t port);
  // The server certificate's name check (CheckServerName): false when the leaf does not name
  // host_.
  bool NameMatches(const uint8_t* der, size_t der_length) {
    const unsigned char* cursor = der;
    X509* cert = d2i_X509(nullptr, &cursor, static_cast<long>(der_length));
    if (cert == nullptr) return false;
    unsigned char address[16];
    const bool ip = inet_pton(AF_INET, host_.c_str(), address) == 1 ||
                    inet_pton(AF_INET6, host_.c_str(), address) == 1;
    const int ok = ip ? X509_check_ip_asc(cert, host_.c_str(), 0)
                      : X509_check_host(cert, host_.data(), host_.size(), 0, nullptr);
    X509_free(cert);
    if (ok != 1) name_mismatch_ = true;
    return ok == 1;
  }

  Result<ClientResponse> Get(const std::string& path, const std::string& query) override {
    OTASIM_TRY(coap_pdu_t* pdu,
               NewRequest(COAP_REQUEST_CODE_GET, path, query, std::nullopt, std::nullopt, ""));
    return Exchange(pdu);
  }

  Result<ClientResponse> Post(const std::string& path, const std::string& payload,
                              std::optional<unsigned> content_format,
                              const std::string& query) override {
    OTASIM_TRY(coap_pdu_t* pdu, NewRequest(COAP_REQUEST_CODE_POST, path, query, content_format,
                                           std::nullopt, payload));
    return Exchange(pdu);
  }

  Result<BlockwiseResult> GetBlockwise(const BlockwiseRequest& request,
                                       const BlockSink& sink) override;

 private:
  static ClientImpl* From(coap_session_t* session) {
    return static_cast<ClientImpl*>(coap_get_app_data(coap_session_get_context(session)));
  }
  bool IsCurrent(const coap_pdu_t* pdu) const {
    if (pdu == nullptr || token_.empty()) return false;
    coap_bin_const_t token = coap_pdu_get_token(pdu);
    return token.length == token_.size() && std::equal(token_.begin(), token_.end(), token.s);
  }

  static coap_response_t OnResponse(coap_session_t* session, const coap_pdu_t*,
                                    const coap_pdu_t* received, const coap_mid_t) {
    ClientImpl* self = From(session);
    // A late answer to an exchange that timed out already: ignore it.
    if (!self->IsCurrent(received)) return COAP_RESPONSE_OK;
    ClientResponse response;
    response.code = CodeFromPdu(coap_pdu_get_code(received));
    response.content_format = UintOption(received, COAP_OPTION_CONTENT_FORMAT);
    response.payload = PayloadOf(received);
    response.size2 = UintOption(received, COAP_OPTION_SIZE2);
    auto block2 = Block2Of(received);
    if (!block2.ok()) {
      self->failure_ = block2.error().WithContext("response");
    } else {
      response.block2 = *block2;
      self->response_ = std::move(response);
    }
    return COAP_RESPONSE_OK;
  }

  static void OnNack(coap_session_t* session, const coap_pdu_t* sent, coap_nack_reason_t reason,
                     const coap_mid_t mid) {
    ClientImpl* self = From(session);
    if (reason == COAP_NACK_TLS_FAILED) self->dtls_failed_ = true;
    if (!self->IsCurrent(sent) && mid != self->mid_) return;
    Errc code = reason == COAP_NACK_TLS_FAILED           ? Errc::kCrypto
                : reason == COAP_NACK_TOO_MANY_RETRIES ? Errc::kTimeout
                                                       : Errc::kNetwork;
    self->failure_ = MakeError(code, NackName(reason));
  }

  static int OnEvent(coap_session_t* session, coap_event_t event) {
    if (event == COAP_EVENT_DTLS_ERROR) From(session)->dtls_failed_ = true;
    return 0;
  }

  Result<coap_pdu_t*> NewRequest(coap_pdu_code_t code, const std::string& path,
                                 const std::string& query, std::optional<unsigned> content_format,
                                 std::optional<Block> block2, const std::string& payload);
  Result<ClientResponse> Exchange(coap_pdu_t* pdu);
  bool Secure() const { return options_.psk || options_.cert; }

  ClientOptions options_;
  coap_context_t* context_ = nullptr;
  coap_session_t* session_ = nullptr;
  Clock::time_point session_deadline_;
  // The exchange in flight, set by the callbacks during coap_io_process.
  std::vector<std::uint8_t> token_;
  coap_mid_t mid_ = COAP_INVALID_MID;
  std::optional<ClientResponse> response_;
  std::optional<Error> failure_;
  bool dtls_failed_ = false;  // sticky: a failed DTLS session is not retried
  std::string host_;           // the server's name as the caller gave it
  bool name_mismatch_ = false;  // the server's certificate named another host
};

int CheckServerName(const char* cn, const uint8_t* der, size_t der_length, coap_session_t* session,
                    unsigned depth, int validated, void* arg) {
  (void)cn;
  (void)session;
  (void)validated;  // libcoap refuses a chain that did not validate by itself
  if (depth != 0) return 1;
  return static_cast<ClientImpl*>(arg)->NameMatches(der, der_length) ? 1 : 0;
}

Status ClientImpl::Open(const std::string& host, std::uint16_t port) {
  EnsureStarted();
  if (options_.psk && options_.cert) {
    return MakeError(Errc::kInvalidArgument, "CoAP client: PSK or certificates, not both");
  }
  if (options_.exchange_timeout.count() <= 0 || options_.session_timeout.count() <= 0) {
    return MakeError(Errc::kInvalidArgument, "CoAP client: timeouts must be positive");
  }
  OTASIM_TRY(coap_address_t server, MakeAddress(host, port));
  context_ = coap_new_context(nullptr);
  if (context_ == nullptr) return MakeError(Errc::kInternal, "coap_new_context failed");
  coap_set_app_data(context_, this);
  coap_register_response_handler(context_, OnResponse);
  coap_register_nack_handler(context_, OnNack);
  coap_register_event_handler(context_, OnEvent);
  coap_context_set_block_mode(context_, 0);  // blocks are requested one by one here
  session_deadline_ = Clock::now() + options_.session_timeout;

  if (options_.psk) {
    coap_dtls_cpsk_t setup{};
    setup.version = COAP_DTLS_CPSK_SETUP_VERSION;
    setup.psk_info.identity.s = reinterpret_cast<const uint8_t*>(options_.psk->identity.data());
    setup.psk_info.identity.length = options_.psk->identity.size();
    setup.psk_info.key.s = reinterpret_cast<const uint8_t*>(options_.psk->key.data());
    setup.psk_info.key.length = options_.psk->key.size();
    session_ = coap_new_client_session_psk2(context_, nullptr, &server, COAP_PROTO_DTLS, &setup);
  } else if (options_.cert) {
    const CertClientConfig& cert = *options_.cert;
    if (cert.ca_pem.empty()) return MakeError(Errc::kInvalidArgument, "CoAPS client without a CA");
    coap_dtls_pki_t setup{};
    setup.version = COAP_DTLS_PKI_SETUP_VERSION;
    setup.verify_peer_cert = cert.verify_peer ? 1 : 0;
    setup.check_common_ca = cert.verify_peer ? 1 : 0;  // the server certificate must chain to ca_pem
    setup.cert_chain_validation = 1;
    setup.cert_chain_verify_depth = 3;
    if (cert.verify_peer && cert.verify_host) {
      host_ = host;
      setup.validate_cn_call_back = CheckServerName;
      setup.cn_call_back_arg = this;
    }
    setup.pki_key.key_type = COAP_PKI_KEY_PEM_BUF;
    auto& pem = setup.pki_key.key.pem_buf;
    pem.ca_cert = reinterpret_cast<const uint8_t*>(cert.ca_pem.c_str());
    pem.ca_cert_len = cert.ca_pem.size();
    if (cert.client_cert_pem.empty()) {
      // libcoap 4.3.1 refuses a PKI client session without a certificate of its own; one that
      // nobody trusts is only sent if the server asks for a client certificate, and then fails.
      crypto::CertRequest request;
      request.common_name = "otasim-coap-anonymous";
      request.server = false;
      request.client = true;
      OTASIM_TRY(crypto::IssuedCert self_signed, crypto::CertificateAuthority::SelfSigned(request));
      options_.cert->client_cert_pem = std::move(self_signed.cert_pem);
      options_.cert->client_key_pem = std::move(self_signed.key_pem);
    }
    pem.public_cert = reinterpret_cast<const uint8_t*>(cert.client_cert_pem.c_str());
    pem.public_cert_len = cert.client_cert_pem.size();
    pem.private_key = reinterpret_cast<const uint8_t*>(cert.client_key_pem.c_str());
    pem.private_key_len = cert.client_key_pem.size();
    session_ = coap_new_client_session_pki(context_, nullptr, &server, COAP_PROTO_DTLS, &setup);
  } else {
    session_ = coap_new_client_session(context_, nullptr, &server, COAP_PROTO_UDP);
  }
  if (session_ == nullptr) {
    return MakeError(Secure() ? Errc::kCrypto : Errc::kNetwork,
                     "cannot create a CoAP session to " + host + ":" + std::to_string(port));
  }
  return {};
}

Result<coap_pdu_t*> ClientImpl::NewRequest(coap_pdu_code_t code, const std::string& path,
                                           const std::string& query,
                                           std::optional<unsigned> content_format,
                                           std::optional<Block> block2,
                                           const std::string& payload) {
  coap_pdu_t* pdu = coap_pdu_init(COAP_MESSAGE_CON, code, coap_new_message_id(session_),
                                  coap_session_max_pdu_size(session_));
  if (pdu == nullptr) return MakeError(Errc::kInternal, "coap_pdu_init failed");
  std::uint8_t token[8];
  std::size_t token_length = 0;
  coap_session_new_token(session_, &token_length, token);
  // Options in ascending number order: Uri-Path 11, Content-Format 12, Uri-Query 15, Block2 23.
  bool ok = coap_add_token(pdu, token_length, token) && AddSplit(pdu, COAP_OPTION_URI_PATH, path, '/');
  if (ok && content_format) ok = AddUintOption(pdu, COAP_OPTION_CONTENT_FORMAT, *content_format);
  ok = ok && AddSplit(pdu, COAP_OPTION_URI_QUERY, query, '&');
  if (ok && block2) ok = AddBlock2(pdu, *block2);
  if (ok && !payload.empty()) {
    ok = coap_add_data(pdu, payload.size(), reinterpret_cast<const uint8_t*>(payload.data()));
  }
  if (!ok) {
    coap_delete_pdu(pdu);
    return MakeError(Errc::kInvalidArgument,
                     "CoAP request does not fit one datagram (" + std::to_string(payload.size()) +
                         " payload bytes; no Block1 support)");
  }
  return pdu;
}

Result<ClientResponse> ClientImpl::Exchange(coap_pdu_t* pdu) {
  if (dtls_failed_) {
    coap_delete_pdu(pdu);
    return MakeError(Errc::kCrypto, "the DTLS session failed");
  }
  const auto start = Clock::now();
  if (start >= session_deadline_) {
    coap_delete_pdu(pdu);
    return MakeError(Errc::kTimeout, "CoAP session deadline (" +
                                         std::to_string(options_.session_timeout.count()) +
                                         " ms) passed");
  }
  const bool session_bound = start + options_.exchange_timeout >= session_deadline_;
  const auto deadline = std::min(start + options_.exchange_timeout, session_deadline_);

  coap_bin_const_t token = coap_pdu_get_token(pdu);
  token_.assign(token.s, token.s + token.length);
  response_.reset();
  failure_.reset();
  mid_ = coap_send(session_, pdu);  // takes the PDU
  if (mid_ == COAP_INVALID_MID && !dtls_failed_) {
    token_.clear();
    return MakeError(Errc::kNetwork, "coap_send failed");
  }
  while (!response_ && !failure_ && !dtls_failed_) {
    auto now = Clock::now();
    if (now >= deadline) break;
    auto left = std::chrono::duration_cast<milliseconds>(deadline - now).count();
    // Never 0: that would mean "wait forever" to libcoap.
    coap_io_process(context_, static_cast<std::uint32_t>(std::clamp<long long>(left, 1, 100)));
  }
  token_.clear();
  if (response_) return std::move(*response_);
  if (dtls_failed_ && name_mismatch_) {
    return MakeError(Errc::kCrypto, "DTLS handshake failed: the server's certificate does not "
                                    "name " + host_);
  }
  if (dtls_failed_) {
    return MakeError(Errc::kCrypto, "DTLS handshake or session failed (certificate or key "
                                    "refused; see libcoap's log)");
  }
  if (failure_) return *failure_;
  std::string message =
      "no CoAP response within " +
      std::to_string(std::chrono::duration_cast<milliseconds>(deadline - start).count()) + " ms" +
      (session_bound ? " (session deadline)" : "");
  if (Secure() && coap_session_get_state(session_) != COAP_SESSION_STATE_ESTABLISHED) {
    // OpenSSL drops DTLS records it cannot decrypt, so a wrong PSK looks like silence.
    message += "; the DTLS handshake did not complete (wrong key, or no server?)";
  }
  return MakeError(Errc::kTimeout, message);
}

Result<BlockwiseResult> ClientImpl::GetBlockwise(const BlockwiseRequest& request,
                                                 const BlockSink& sink) {
  if (!sink) return MakeError(Errc::kInvalidArgument, "block-wise GET without a sink");
  if (request.szx > 6) return MakeError(Errc::kInvalidArgument, "szx must be 0..6");
  BlockwiseResult result;
  result.szx = request.szx;
  result.next_block = request.start_block;
  Block want;
  want.num = request.start_block;
  want.szx = request.szx;
  std::uint64_t offset = want.Offset();
  for (;;) {
    if (want.num >= (1u << 20)) {
      return MakeError(Errc::kInvalidArgument, "block number beyond 2^20");
    }
    OTASIM_TRY(coap_pdu_t* pdu, NewRequest(COAP_REQUEST_CODE_GET, request.path, request.query,
                                           std::nullopt, want, ""));
    OTASIM_TRY(ClientResponse response, Exchange(pdu));
    result.code = response.code;
    if (response.content_format) result.content_format = response.content_format;
    if (response.size2) result.size2 = response.size2;
    if (!IsSuccess(response.code)) {
      result.error_payload = std::move(response.payload);
      return result;
    }
    const auto* data = reinterpret_cast<const std::uint8_t*>(response.payload.data());
    if (!response.block2) {
      // The server sent the whole body in one message; fine only from the start.
      if (offset != 0) {
        return MakeError(Errc::kProtocol, "server ignored Block2 for block " +
                                              std::to_string(want.num));
      }
      result.bytes = response.payload.size();
      result.blocks = 1;
      result.next_block = 1;
      result.complete = true;
      result.stopped_by_sink = !sink(0, data, response.payload.size());
      return result;
    }
    const Block& got = *response.block2;
    if (got.Offset() != offset) {
      return MakeError(Errc::kProtocol, "asked for offset " + std::to_string(offset) +
                                            ", got block " + std::to_string(got.num) +
                                            " of size " + std::to_string(got.Size()));
    }
    if (response.payload.size() > got.Size() ||
        (got.more && response.payload.size() != got.Size())) {
      return MakeError(Errc::kProtocol, "block " + std::to_string(got.num) + " has " +
                                            std::to_string(response.payload.size()) +
                                            " bytes for a block size of " +
                                            std::to_string(got.Size()));
    }
    const bool go_on = sink(offset, data, response.payload.size());
    result.szx = got.szx;
    result.bytes += response.payload.size();
    result.blocks += 1;
    result.next_block = got.num + 1;
    offset += response.payload.size();
    if (!got.more) {
      result.complete = true;
      return result;
    }
    if (!go_on) {
      result.stopped_by_sink = true;
      return result;
    }
    want.num = got.num + 1;
    want.szx = got.szx;
  }
}

}  // namespace

Result<std::unique_ptr<Client>> Connect(const std::string& host, std::uint16_t port,
                                        const ClientOptions& options) {
  auto client = std::make_unique<ClientImpl>(options);
  if (Status opened = client->Open(host, port); !opened.ok()) return opened.error();
  return std::unique_ptr<Client>(std::move(client));
}

}  // namespace otasim::coap
