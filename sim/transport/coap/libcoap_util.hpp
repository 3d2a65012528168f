// Helpers shared by the server and the client; the only header that includes libcoap, and it is
// private to this library.
#pragma once

#include <coap3/coap.h>

#include <optional>
#include <string>

#include "coap_types.hpp"

namespace otasim::coap::detail {

// coap_startup() once per process; libcoap's log level set to errors only.
void EnsureStarted();

Result<coap_address_t> MakeAddress(const std::string& host, std::uint16_t port);
std::string FormatAddress(const coap_address_t* address);  // "127.0.0.1:5683", "[::1]:5683"

int CodeFromPdu(coap_pdu_code_t code);  // 0x45 -> 205
std::optional<unsigned> UintOption(const coap_pdu_t* pdu, coap_option_num_t number);
std::string PayloadOf(const coap_pdu_t* pdu);

// What a request PDU says on its own: method, type, token, Uri-Path and payload (not the peer,
// identity, query or Block2, which the server fills in). Pure: the server and the fuzzer use it.
Request RequestOfPdu(const coap_pdu_t* pdu);

// The Block2 option of a PDU: nullopt when absent; an error when it is malformed (longer than
// 3 bytes, or the reserved size 7).
Result<std::optional<Block>> Block2Of(const coap_pdu_t* pdu);
bool AddUintOption(coap_pdu_t* pdu, coap_option_num_t number, std::uint64_t value);
bool AddBlock2(coap_pdu_t* pdu, const Block& block);

}  // namespace otasim::coap::detail
