// IPv4 + TCP / UDP packets around application bytes, for LINKTYPE_RAW captures. Headers are
// complete and checksummed; a packet whose payload is only partly kept (a capped body) carries
// its original lengths and a zero TCP checksum, which cannot be computed over elided bytes.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace otasim::capture {

struct Ipv4Endpoint {
  std::array<std::uint8_t, 4> address{};
  std::uint16_t port = 0;
};

namespace tcp_flags {
constexpr std::uint8_t kFin = 0x01;
constexpr std::uint8_t kSyn = 0x02;
constexpr std::uint8_t kRst = 0x04;
constexpr std::uint8_t kPsh = 0x08;
constexpr std::uint8_t kAck = 0x10;
}  // namespace tcp_flags

constexpr std::size_t kIpv4HeaderBytes = 20;
constexpr std::size_t kTcpHeaderBytes = 20;
constexpr std::size_t kUdpHeaderBytes = 8;
// The most payload one IPv4 packet can carry.
constexpr std::size_t kMaxTcpPayload = 0xFFFF - kIpv4HeaderBytes - kTcpHeaderBytes;
constexpr std::size_t kMaxUdpPayload = 0xFFFF - kIpv4HeaderBytes - kUdpHeaderBytes;

// RFC 1071 one's-complement sum over data, continuing from `sum`.
std::uint32_t ChecksumAdd(std::uint32_t sum, std::string_view data);
std::uint16_t ChecksumFinish(std::uint32_t sum);

// payload is the kept prefix of a payload of payload_length bytes (payload_length >=
// payload.size(), and at most kMaxTcpPayload / kMaxUdpPayload).
std::string TcpPacket(const Ipv4Endpoint& from, const Ipv4Endpoint& to, std::uint32_t seq,
                      std::uint32_t ack, std::uint8_t flags, std::string_view payload,
                      std::size_t payload_length);
std::string UdpPacket(const Ipv4Endpoint& from, const Ipv4Endpoint& to, std::string_view payload,
                      std::size_t payload_length);

}  // namespace otasim::capture
