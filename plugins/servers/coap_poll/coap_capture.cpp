#include "coap_capture.hpp"

#include "utf8.hpp"

namespace otasim::servers::coap_poll {

CoapCapture::~CoapCapture() {
  if (capture_ == nullptr) return;
  for (const auto& [endpoint, flow] : flows_) capture_->CloseFlow(flow, false);
}

void CoapCapture::Record(const coap::Request& request, std::string_view request_datagram,
                         std::string_view response_datagram) noexcept {
  if (capture_ == nullptr) return;
  try {
    auto it = flows_.find(request.peer);
    if (it == flows_.end()) {
      std::string label = "server.coap-poll: device " + request.peer;
      if (!request.identity.empty()) label += " (" + Printable(request.identity) + ")";
      label += "; datagrams re-encoded from the messages the server parsed and sent (decrypted)";
      it = flows_.emplace(request.peer, capture_->OpenFlow("udp", "coap", label)).first;
    }
    capture_->Record(it->second, CaptureDirection::kToServer, request_datagram,
                     request_datagram.size());
    if (!response_datagram.empty()) {
      capture_->Record(it->second, CaptureDirection::kToDevice, response_datagram,
                       response_datagram.size());
    }
  } catch (...) {  // evidence must never take the server down
  }
}

}  // namespace otasim::servers::coap_poll
