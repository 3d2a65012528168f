#include "libcoap_util.hpp"

#include <arpa/inet.h>

#include <cstring>
#include <mutex>

namespace otasim::coap::detail {

void EnsureStarted() {
  static std::once_flag once;
  std::call_once(once, [] {
    coap_startup();
    // Warnings are per-datagram noise (malformed input is expected here); errors stay visible.
    coap_set_log_level(LOG_ERR);
    coap_dtls_set_log_level(LOG_ERR);
  });
}

Result<coap_address_t> MakeAddress(const std::string& host, std::uint16_t port) {
  coap_address_t address;
  coap_address_init(&address);
  if (inet_pton(AF_INET, host.c_str(), &address.addr.sin.sin_addr) == 1) {
    address.addr.sin.sin_family = AF_INET;
    address.addr.sin.sin_port = htons(port);
    address.size = sizeof(sockaddr_in);
    return address;
  }
  if (inet_pton(AF_INET6, host.c_str(), &address.addr.sin6.sin6_addr) == 1) {
    address.addr.sin6.sin6_family = AF_INET6;
    address.addr.sin6.sin6_port = htons(port);
    address.size = sizeof(sockaddr_in6);
    return address;
  }
  return MakeError(Errc::kInvalidArgument, "not a numeric IP address: " + host);
}

std::string FormatAddress(const coap_address_t* address) {
  if (address == nullptr) return "";
  char text[INET6_ADDRSTRLEN] = {};
  if (address->addr.sa.sa_family == AF_INET) {
    inet_ntop(AF_INET, &address->addr.sin.sin_addr, text, sizeof text);
    return std::string(text) + ":" + std::to_string(ntohs(address->addr.sin.sin_port));
  }
  if (address->addr.sa.sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &address->addr.sin6.sin6_addr, text, sizeof text);
    return "[" + std::string(text) + "]:" + std::to_string(ntohs(address->addr.sin6.sin6_port));
  }
  return "";
}

int CodeFromPdu(coap_pdu_code_t code) {
  auto value = static_cast<unsigned>(code);
  return static_cast<int>((value >> 5) * 100 + (value & 0x1f));
}

std::optional<unsigned> UintOption(const coap_pdu_t* pdu, coap_option_num_t number) {
  coap_opt_iterator_t iterator;
  coap_opt_t* option = coap_check_option(pdu, number, &iterator);
  if (option == nullptr) return std::nullopt;
  return coap_decode_var_bytes(coap_opt_value(option), coap_opt_length(option));
}

std::string PayloadOf(const coap_pdu_t* pdu) {
  size_t length = 0;
  const uint8_t* data = nullptr;
  if (!coap_get_data(pdu, &length, &data) || data == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(data), length);
}

namespace {

std::string MethodName(coap_pdu_code_t code) {
  switch (code) {
    case COAP_REQUEST_CODE_GET: return "GET";
    case COAP_REQUEST_CODE_POST: return "POST";
    case COAP_REQUEST_CODE_PUT: return "PUT";
    case COAP_REQUEST_CODE_DELETE: return "DELETE";
    case COAP_REQUEST_CODE_FETCH: return "FETCH";
    case COAP_REQUEST_CODE_PATCH: return "PATCH";
    case COAP_REQUEST_CODE_IPATCH: return "iPATCH";
    default: return "?";
  }
}

}  // namespace

Request RequestOfPdu(const coap_pdu_t* pdu) {
  Request request;
  request.method = MethodName(coap_pdu_get_code(pdu));
  request.confirmable = coap_pdu_get_type(pdu) == COAP_MESSAGE_CON;
  coap_bin_const_t token = coap_pdu_get_token(pdu);
  if (token.length > 0) request.token.assign(reinterpret_cast<const char*>(token.s), token.length);
  if (coap_string_t* path = coap_get_uri_path(pdu)) {
    request.path = "/" + std::string(reinterpret_cast<const char*>(path->s), path->length);
    coap_delete_string(path);
  } else {
    request.path = "/";
  }
  request.payload = PayloadOf(pdu);
  return request;
}

Result<std::optional<Block>> Block2Of(const coap_pdu_t* pdu) {
  coap_opt_iterator_t iterator;
  coap_opt_t* option = coap_check_option(pdu, COAP_OPTION_BLOCK2, &iterator);
  if (option == nullptr) return std::optional<Block>();
  if (coap_opt_length(option) > 3) {
    return MakeError(Errc::kProtocol, "Block2 option longer than 3 bytes");
  }
  unsigned value = coap_decode_var_bytes(coap_opt_value(option), coap_opt_length(option));
  Block block;
  block.num = value >> 4;
  block.more = (value & 0x08) != 0;
  block.szx = value & 0x07;
  if (block.szx == 7) return MakeError(Errc::kProtocol, "Block2 size 7 (BERT) over UDP");
  return std::optional<Block>(block);
}

bool AddUintOption(coap_pdu_t* pdu, coap_option_num_t number, std::uint64_t value) {
  uint8_t buffer[8];
  unsigned length = coap_encode_var_safe8(buffer, sizeof buffer, value);
  return coap_add_option(pdu, number, length, buffer) != 0;
}

bool AddBlock2(coap_pdu_t* pdu, const Block& block) {
  std::uint64_t value = (std::uint64_t{block.num} << 4) | (block.more ? 0x08u : 0u) | block.szx;
  return AddUintOption(pdu, COAP_OPTION_BLOCK2, value);
}

}  // namespace otasim::coap::detail
