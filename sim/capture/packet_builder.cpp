#include "packet_builder.hpp"

#include <algorithm>

namespace otasim::capture {
namespace {

constexpr std::uint8_t kProtocolTcp = 6;
constexpr std::uint8_t kProtocolUdp = 17;
constexpr std::uint8_t kTtl = 64;
constexpr std::uint16_t kDontFragment = 0x4000;
constexpr std::uint16_t kWindow = 0xFFFF;

void Put16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xFF));
}

void Put32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

void Set16(std::string& out, std::size_t at, std::uint16_t v) {
  out[at] = static_cast<char>(v >> 8);
  out[at + 1] = static_cast<char>(v & 0xFF);
}

std::string_view AddressBytes(const Ipv4Endpoint& e) {
  return {reinterpret_cast<const char*>(e.address.data()), e.address.size()};
}

std::string Ipv4Header(const Ipv4Endpoint& from, const Ipv4Endpoint& to, std::uint8_t protocol,
                       std::size_t total_length) {
  std::string h;
  h.reserve(kIpv4HeaderBytes);
  h.push_back(0x45);  // version 4, 5 words of header
  h.push_back(0);     // DSCP/ECN
  Put16(h, static_cast<std::uint16_t>(total_length));
  Put16(h, 0);  // identification
  Put16(h, kDontFragment);
  h.push_back(static_cast<char>(kTtl));
  h.push_back(static_cast<char>(protocol));
  Put16(h, 0);  // checksum, below
  h.append(AddressBytes(from));
  h.append(AddressBytes(to));
  Set16(h, 10, ChecksumFinish(ChecksumAdd(0, h)));
  return h;
}

// The pseudo-header TCP and UDP checksums cover.
std::uint32_t PseudoHeaderSum(const Ipv4Endpoint& from, const Ipv4Endpoint& to,
                              std::uint8_t protocol, std::size_t l4_length) {
  std::string p;
  p.append(AddressBytes(from));
  p.append(AddressBytes(to));
  p.push_back(0);
  p.push_back(static_cast<char>(protocol));
  Put16(p, static_cast<std::uint16_t>(l4_length));
  return ChecksumAdd(0, p);
}

}  // namespace

std::uint32_t ChecksumAdd(std::uint32_t sum, std::string_view data) {
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) {
    sum += (static_cast<std::uint32_t>(static_cast<std::uint8_t>(data[i])) << 8) |
           static_cast<std::uint8_t>(data[i + 1]);
    sum = (sum & 0xFFFF) + (sum >> 16);
  }
  if (i < data.size()) {
    sum += static_cast<std::uint32_t>(static_cast<std::uint8_t>(data[i])) << 8;
    sum = (sum & 0xFFFF) + (sum >> 16);
  }
  return sum;
}

std::uint16_t ChecksumFinish(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xFFFF);
}

std::string TcpPacket(const Ipv4Endpoint& from, const Ipv4Endpoint& to, std::uint32_t seq,
                      std::uint32_t ack, std::uint8_t flags, std::string_view payload,
                      std::size_t payload_length) {
  payload_length = std::min(std::max(payload_length, payload.size()), kMaxTcpPayload);
  payload = payload.substr(0, payload_length);
  std::string tcp;
  tcp.reserve(kTcpHeaderBytes + payload.size());
  Put16(tcp, from.port);
  Put16(tcp, to.port);
  Put32(tcp, seq);
  Put32(tcp, (flags & tcp_flags::kAck) ? ack : 0);
  tcp.push_back(static_cast<char>((kTcpHeaderBytes / 4) << 4));
  tcp.push_back(static_cast<char>(flags));
  Put16(tcp, kWindow);
  Put16(tcp, 0);  // checksum, below
  Put16(tcp, 0);  // urgent pointer
  tcp.append(payload);
  const std::size_t l4_length = kTcpHeaderBytes + payload_length;
  if (payload.size() == payload_length) {
    std::uint32_t sum = PseudoHeaderSum(from, to, kProtocolTcp, l4_length);
    Set16(tcp, 16, ChecksumFinish(ChecksumAdd(sum, tcp)));
  }
  return Ipv4Header(from, to, kProtocolTcp, kIpv4HeaderBytes + l4_length) + tcp;
}

std::string UdpPacket(const Ipv4Endpoint& from, const Ipv4Endpoint& to, std::string_view payload,
                      std::size_t payload_length) {
  payload_length = std::min(std::max(payload_length, payload.size()), kMaxUdpPayload);
  payload = payload.substr(0, payload_length);
  const std::size_t l4_length = kUdpHeaderBytes + payload_length;
  std::string udp;
  udp.reserve(l4_length);
  Put16(udp, from.port);
  Put16(udp, to.port);
  Put16(udp, static_cast<std::uint16_t>(l4_length));
  Put16(udp, 0);  // checksum: 0 means none over IPv4 (set below when computable)
  udp.append(payload);
  if (payload.size() == payload_length) {
    std::uint32_t sum = PseudoHeaderSum(from, to, kProtocolUdp, l4_length);
    std::uint16_t checksum = ChecksumFinish(ChecksumAdd(sum, udp));
    Set16(udp, 6, checksum == 0 ? 0xFFFF : checksum);  // RFC 768: a computed 0 is sent as all ones
  }
  return Ipv4Header(from, to, kProtocolUdp, kIpv4HeaderBytes + l4_length) + udp;
}

}  // namespace otasim::capture
