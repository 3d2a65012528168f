// Fuzzes what a CoAP request goes through before server.coap-poll acts on it: libcoap's PDU
// parser (UDP framing), the transport's request extraction and Block2 decoding, then the model's
// block arithmetic, UTF-8 checks of the path and the status report parser with its LwM2M
// Update Result mapping.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "coap_poll/asked_block.hpp"
#include "coap_poll/update_result.hpp"
#include "coap_poll/utf8.hpp"
#include "common/status_report.hpp"
#include "libcoap_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace otasim;
  coap::detail::EnsureStarted();
  coap_pdu_t* pdu = coap_pdu_init(COAP_MESSAGE_CON, COAP_EMPTY_CODE, 0, size);
  if (pdu == nullptr) return 0;
  if (coap_pdu_parse(COAP_PROTO_UDP, data, size, pdu) != 0) {
    coap::Request request = coap::detail::RequestOfPdu(pdu);
    auto block2 = coap::detail::Block2Of(pdu);
    if (block2.ok()) {
      request.block2 = *block2;
      for (unsigned server_szx = 0; server_szx <= 6; ++server_szx) {
        auto asked = servers::coap_poll::AskedBlockOf(request, server_szx);
        if (asked && asked->size > 1024) __builtin_trap();
      }
    }
    if (!servers::coap_poll::IsUtf8(servers::coap_poll::Printable(request.path))) __builtin_trap();
    if (auto report = servers::ParseStatusReport(request.payload)) {
      (void)servers::coap_poll::UpdateResultFor(*report);
    }
  }
  coap_delete_pdu(pdu);
  return 0;
}
