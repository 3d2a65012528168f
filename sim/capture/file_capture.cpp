#include "file_capture.hpp"

#include <algorithm>
#include <chrono>
#include <exception>

namespace otasim::capture {
namespace {

// Documentation addresses (RFC 5737): the packets are synthesized, the real endpoints are in
// each flow's comment.
constexpr std::array<std::uint8_t, 4> kDeviceAddress{192, 0, 2, 2};
constexpr std::array<std::uint8_t, 4> kServerAddress{192, 0, 2, 1};
constexpr std::uint16_t kFirstClientPort = 49152;
constexpr std::uint16_t kClientPorts = 16384;

std::size_t Index(CaptureDirection d) { return d == CaptureDirection::kToServer ? 0 : 1; }
CaptureDirection Other(CaptureDirection d) {
  return d == CaptureDirection::kToServer ? CaptureDirection::kToDevice : CaptureDirection::kToServer;
}

}  // namespace

std::optional<std::uint16_t> WellKnownPort(std::string_view app) {
  if (app == "http") return 80;
  if (app == "coap") return 5683;
  if (app == "mqtt") return 1883;
  return std::nullopt;
}

Result<std::unique_ptr<FileCapture>> FileCapture::Create(const std::filesystem::path& path,
                                                         CaptureOptions options) {
  OTASIM_TRY(PcapngWriter writer,
             PcapngWriter::Create(path, options.user_application, options.comment));
  return std::unique_ptr<FileCapture>(new FileCapture(std::move(writer), std::move(options)));
}

FileCapture::~FileCapture() { (void)Close(); }

std::uint64_t FileCapture::OpenFlow(std::string_view transport, std::string_view app,
                                    std::string_view label) noexcept {
  try {
    std::lock_guard lock(mutex_);
    if (failed_ || closed_) return 0;
    auto port = WellKnownPort(app);
    if (!port || (transport != "tcp" && transport != "udp")) {
      Notify(MakeError(Errc::kInvalidArgument, "capture: unknown flow " + std::string(transport) +
                                                   "/" + std::string(app)));
      return 0;  // a caller's bug: this flow is not captured, the others still are
    }
    const std::uint64_t id = next_flow_++;
    Flow flow;
    flow.tcp = transport == "tcp";
    flow.device = {kDeviceAddress,
                   static_cast<std::uint16_t>(kFirstClientPort + (id - 1) % kClientPorts)};
    flow.server = {kServerAddress, *port};
    ++stats_.flows;
    if (!flow.tcp) {
      flow.pending_comment = std::string(label);
      flows_.emplace(id, std::move(flow));
      return id;
    }
    // Initial sequence numbers only need to differ between flows and directions.
    flow.next_seq[0] = static_cast<std::uint32_t>(id * 0x9E3779B9u);
    flow.next_seq[1] = static_cast<std::uint32_t>(id * 0x85EBCA6Bu + 0x1000u);
    using namespace tcp_flags;
    Write(TcpPacket(flow.device, flow.server, flow.next_seq[0]++, 0, kSyn, {}, 0), 0, label);
    Write(TcpPacket(flow.server, flow.device, flow.next_seq[1]++, flow.next_seq[0], kSyn | kAck, {}, 0), 0, {});
    Write(TcpPacket(flow.device, flow.server, flow.next_seq[0], flow.next_seq[1], kAck, {}, 0), 0, {});
    flows_.emplace(id, std::move(flow));
    return failed_ ? 0 : id;
  } catch (const std::exception& e) {
    Fail(MakeError(Errc::kInternal, std::string("capture: ") + e.what()));
    return 0;
  }
}

void FileCapture::Record(std::uint64_t id, CaptureDirection direction, std::string_view bytes,
                         std::uint64_t original_length) noexcept {
  try {
    std::lock_guard lock(mutex_);
    if (failed_ || closed_ || id == 0) return;
    auto it = flows_.find(id);
    if (it == flows_.end()) return;
    const std::uint64_t total = std::max<std::uint64_t>(original_length, bytes.size());
    if (total == 0) return;
    stats_.payload_bytes += total;
    if (it->second.tcp) {
      RecordTcp(it->second, direction, bytes, total);
    } else {
      RecordUdp(it->second, direction, bytes, total);
    }
  } catch (const std::exception& e) {
    Fail(MakeError(Errc::kInternal, std::string("capture: ") + e.what()));
  }
}

void FileCapture::CloseFlow(std::uint64_t id, bool reset) noexcept {
  try {
    std::lock_guard lock(mutex_);
    auto it = flows_.find(id);
    if (it == flows_.end()) return;
    if (!failed_ && !closed_ && it->second.tcp) EndTcp(it->second, reset, {});
    flows_.erase(it);
  } catch (const std::exception& e) {
    Fail(MakeError(Errc::kInternal, std::string("capture: ") + e.what()));
  }
}

Status FileCapture::Close() noexcept {
  try {
    std::lock_guard lock(mutex_);
    if (closed_) return {};
    if (!failed_) {
      for (auto& [id, flow] : flows_) {
        if (flow.tcp) EndTcp(flow, false, "still open when the capture ended");
      }
    }
    flows_.clear();
    closed_ = true;
    stats_.packets = writer_.packets();
    stats_.file_bytes = writer_.bytes();
    Status status = writer_.Close();
    if (!status) Fail(status.error());
    if (first_error_) return *first_error_;
    return status;
  } catch (const std::exception& e) {
    return MakeError(Errc::kInternal, std::string("capture: ") + e.what());
  }
}

CaptureStats FileCapture::stats() const {
  std::lock_guard lock(mutex_);
  CaptureStats stats = stats_;
  stats.packets = writer_.packets();
  stats.file_bytes = writer_.bytes();
  return stats;
}

void FileCapture::RecordTcp(Flow& flow, CaptureDirection direction, std::string_view bytes,
                            std::uint64_t total) {
  const std::size_t d = Index(direction);
  const bool to_server = direction == CaptureDirection::kToServer;
  const Ipv4Endpoint& from = to_server ? flow.device : flow.server;
  const Ipv4Endpoint& to = to_server ? flow.server : flow.device;
  for (std::uint64_t offset = 0; offset < total && !failed_;) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(kMaxTcpPayload, total - offset));
    const std::size_t available =
        offset < bytes.size() ? std::min<std::size_t>(n, bytes.size() - offset) : 0;
    const std::uint64_t room = options_.max_kept_bytes - std::min(options_.max_kept_bytes, flow.kept[d]);
    const auto keep = static_cast<std::size_t>(std::min<std::uint64_t>(available, room));
    const std::string comment = keep < n ? CapNote(flow, direction) : std::string();
    const std::string_view kept =
        keep == 0 ? std::string_view() : bytes.substr(static_cast<std::size_t>(offset), keep);
    using namespace tcp_flags;
    Write(TcpPacket(from, to, flow.next_seq[d], flow.next_seq[Index(Other(direction))],
                    kPsh | kAck, kept, n),
          kIpv4HeaderBytes + kTcpHeaderBytes + n, comment);
    flow.kept[d] += keep;
    stats_.elided_bytes += n - keep;
    flow.next_seq[d] += static_cast<std::uint32_t>(n);
    offset += n;
  }
}

void FileCapture::RecordUdp(Flow& flow, CaptureDirection direction, std::string_view bytes,
                            std::uint64_t total) {
  const std::size_t d = Index(direction);
  const bool to_server = direction == CaptureDirection::kToServer;
  const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(kMaxUdpPayload, total));
  const std::size_t available = std::min(n, bytes.size());
  const std::uint64_t room = options_.max_kept_bytes - std::min(options_.max_kept_bytes, flow.kept[d]);
  std::size_t keep = static_cast<std::size_t>(std::min<std::uint64_t>(available, room));
  std::string comment = std::move(flow.pending_comment);
  flow.pending_comment.clear();
  if (keep < n) {
    keep = std::max(keep, std::min(available, options_.udp_kept_beyond_cap));
    std::string note = CapNote(flow, direction);
    if (!note.empty()) comment = comment.empty() ? note : comment + "; " + note;
  }
  Write(UdpPacket(to_server ? flow.device : flow.server, to_server ? flow.server : flow.device,
                  bytes.substr(0, keep), n),
        kIpv4HeaderBytes + kUdpHeaderBytes + n, comment);
  flow.kept[d] += keep;
  stats_.elided_bytes += total - keep;
}

void FileCapture::EndTcp(Flow& flow, bool reset, std::string_view comment) {
  using namespace tcp_flags;
  std::uint32_t& server_seq = flow.next_seq[Index(CaptureDirection::kToDevice)];
  std::uint32_t& device_seq = flow.next_seq[Index(CaptureDirection::kToServer)];
  if (reset) {
    Write(TcpPacket(flow.server, flow.device, server_seq, device_seq, kRst | kAck, {}, 0), 0,
          comment.empty() ? std::string_view("connection cut") : comment);
    return;
  }
  Write(TcpPacket(flow.server, flow.device, server_seq++, device_seq, kFin | kAck, {}, 0), 0, comment);
  Write(TcpPacket(flow.device, flow.server, device_seq++, server_seq, kFin | kAck, {}, 0), 0, {});
  Write(TcpPacket(flow.server, flow.device, server_seq, device_seq, kAck, {}, 0), 0, {});
}

std::string FileCapture::CapNote(Flow& flow, CaptureDirection direction) {
  bool& noted = flow.cap_noted[Index(direction)];
  if (noted) return {};
  noted = true;
  return "capture cap: only the first " + std::to_string(options_.max_kept_bytes) +
         " payload bytes of this direction are kept; later packets keep their headers and "
         "original length";
}

void FileCapture::Write(std::string_view packet, std::size_t original_length,
                        std::string_view comment) {
  if (failed_) return;
  Status written = writer_.WritePacket(NowUs(), packet,
                                       static_cast<std::uint32_t>(std::max(original_length, packet.size())),
                                       comment);
  if (!written) Fail(written.error());
}

void FileCapture::Fail(const Error& error) {
  if (failed_) return;
  failed_ = true;
  first_error_ = error;
  Notify(error);
}

void FileCapture::Notify(const Error& error) {
  if (options_.on_error) {
    try {
      options_.on_error(error);
    } catch (...) {  // reporting must not take the capture's caller down
    }
  }
}

std::uint64_t FileCapture::NowUs() {
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  // Packets are written in order, so their timestamps never go back (a clock step would
  // otherwise reorder the flow in Wireshark).
  last_timestamp_us_ = std::max(last_timestamp_us_, static_cast<std::uint64_t>(now));
  return last_timestamp_us_;
}

}  // namespace otasim::capture
