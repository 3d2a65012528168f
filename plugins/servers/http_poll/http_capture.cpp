#include "http_capture.hpp"

#include <algorithm>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace otasim::servers::http_poll {
namespace {

std::string_view Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 302: return "Found";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 416: return "Range Not Satisfiable";
    case 500: return "Internal Server Error";
    default: return "";
  }
}

bool AsksToClose(const std::map<std::string, std::string>& headers) {
  auto it = headers.find("connection");
  if (it == headers.end()) return false;
  std::string value = it->second;
  std::transform(value.begin(), value.end(), value.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return value == "close";
}

std::string RequestBytes(const http::Request& request) {
  std::string out = request.method + " " + request.target + " HTTP/1.1\r\n";
  for (const auto& [name, value] : request.headers) out += name + ": " + value + "\r\n";
  out += "\r\n";
  out += request.body;
  return out;
}

// The head as the transport frames it: our headers, then its Content-Length and Connection.
std::string ResponseHead(const http::Response& response, std::optional<std::uint64_t> length,
                         bool keep_alive) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " +
                    std::string(Reason(response.status)) + "\r\n";
  for (const auto& [name, value] : response.headers) {
    if (name == "content-length" || name == "transfer-encoding" || name == "connection") continue;
    out += name + ": " + value + "\r\n";
  }
  if (length) out += "Content-Length: " + std::to_string(*length) + "\r\n";
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  return out;
}

// Body bytes read from the source are recorded once the transport asked for the next chunk
// (so the previous one was written), or at the end up to the bytes it reports written.
struct BodyTap {
  PacketCapture* capture = nullptr;
  std::uint64_t flow = 0;
  std::string pending;
  std::uint64_t recorded = 0;

  void Flush(std::uint64_t written_total) {
    const auto n = static_cast<std::size_t>(
        std::min<std::uint64_t>(pending.size(), written_total - std::min(written_total, recorded)));
    if (n > 0) capture->Record(flow, CaptureDirection::kToDevice, std::string_view(pending).substr(0, n), n);
    recorded += n;
    pending.clear();
  }
};

class TappedSource final : public ByteSource {
 public:
  TappedSource(ByteSourcePtr inner, std::shared_ptr<BodyTap> tap)
      : inner_(std::move(inner)), tap_(std::move(tap)) {}
  Result<std::size_t> Read(std::span<std::uint8_t> out) override {
    tap_->Flush(UINT64_MAX);
    auto read = inner_->Read(out);
    if (read.ok()) tap_->pending.assign(reinterpret_cast<const char*>(out.data()), *read);
    return read;
  }
  std::optional<std::uint64_t> Length() const override { return inner_->Length(); }

 private:
  ByteSourcePtr inner_;
  std::shared_ptr<BodyTap> tap_;
};

}  // namespace

HttpCapture::~HttpCapture() {
  if (capture_ == nullptr) return;
  std::lock_guard lock(mutex_);
  for (const auto& [connection, flow] : flows_) capture_->CloseFlow(flow, false);
}

std::uint64_t HttpCapture::FlowFor(const http::Request& request) {
  std::lock_guard lock(mutex_);
  auto it = flows_.find(request.connection_id);
  if (it != flows_.end()) return it->second;
  const std::string label = "server.http-poll connection " + std::to_string(request.connection_id) +
                            ": device " + request.peer + " (TLS, decrypted)";
  const std::uint64_t flow = capture_->OpenFlow("tcp", "http", label);
  flows_[request.connection_id] = flow;
  return flow;
}

void HttpCapture::EndFlow(std::uint64_t connection_id, bool reset) {
  std::lock_guard lock(mutex_);
  auto it = flows_.find(connection_id);
  if (it == flows_.end()) return;
  capture_->CloseFlow(it->second, reset);
  flows_.erase(it);
}

http::Response HttpCapture::Tap(const http::Request& request, http::Response response) {
  if (capture_ == nullptr) return response;
  const std::uint64_t flow = FlowFor(request);
  const std::string request_bytes = RequestBytes(request);
  capture_->Record(flow, CaptureDirection::kToServer, request_bytes, request_bytes.size());

  // The transport's framing (see http_server.hpp): the length it declares, and whether the
  // connection stays open after this response.
  std::optional<std::uint64_t> length;
  if (!response.stream) {
    length = response.body.size();
  } else {
    length = response.declared_length ? response.declared_length : response.stream->Length();
  }
  const bool keep_alive = length && !AsksToClose(request.headers) && !AsksToClose(response.headers);
  const std::string head = ResponseHead(response, length, keep_alive);
  capture_->Record(flow, CaptureDirection::kToDevice, head, head.size());

  auto tap = std::make_shared<BodyTap>();
  tap->capture = capture_;
  tap->flow = flow;
  if (response.stream) {
    response.stream = std::make_unique<TappedSource>(std::move(response.stream), tap);
  } else {
    tap->pending = response.body;
  }
  const std::uint64_t connection_id = request.connection_id;
  response.on_body_end = [this, tap, connection_id, length, keep_alive,
                          inner = std::move(response.on_body_end)](const http::BodyOutcome& outcome) {
    tap->Flush(outcome.bytes_written);
    if (outcome.end != http::BodyEnd::kComplete) {
      EndFlow(connection_id, true);
    } else if (!keep_alive || !length || outcome.bytes_written != *length) {
      EndFlow(connection_id, false);
    }
    if (inner) inner(outcome);
  };
  return response;
}

}  // namespace otasim::servers::http_poll
