#define BOOST_TEST_MODULE pcapng_writer
#include <boost/test/unit_test.hpp>

#include <map>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "capture/file_capture.hpp"
#include "capture/packet_builder.hpp"
#include "capture/pcapng_writer.hpp"
#include "support/temp_dir.hpp"

namespace cap = otasim::capture;
using otasim::CaptureDirection;

namespace {

std::uint32_t Le32(std::string_view s, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(s[at + static_cast<std::size_t>(i)]);
  return v;
}
std::uint16_t Le16(std::string_view s, std::size_t at) {
  return static_cast<std::uint16_t>(static_cast<std::uint8_t>(s[at]) |
                                    (static_cast<std::uint8_t>(s[at + 1]) << 8));
}
std::uint32_t Be32(std::string_view s, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<std::uint8_t>(s[at + i]);
  return v;
}
std::uint16_t Be16(std::string_view s, std::size_t at) {
  return static_cast<std::uint16_t>((static_cast<std::uint8_t>(s[at]) << 8) |
                                    static_cast<std::uint8_t>(s[at + 1]));
}

struct Block {
  std::uint32_t type = 0;
  std::string body;  // between the two length fields
};

// Splits a pcapng byte string into blocks, checking each block's framing.
std::vector<Block> Blocks(std::string_view file) {
  std::vector<Block> blocks;
  std::size_t at = 0;
  while (at < file.size()) {
    BOOST_REQUIRE(at + 12 <= file.size());
    const std::uint32_t length = Le32(file, at + 4);
    BOOST_REQUIRE_EQUAL(length % 4, 0u);
    BOOST_REQUIRE(at + length <= file.size());
    BOOST_REQUIRE_EQUAL(Le32(file, at + length - 4), length);
    blocks.push_back({Le32(file, at), std::string(file.substr(at + 8, length - 12))});
    at += length;
  }
  return blocks;
}

// Options from `at` to the end of a block body: code -> value (the last of each code).
std::map<std::uint16_t, std::string> Options(std::string_view body, std::size_t at) {
  std::map<std::uint16_t, std::string> options;
  while (at + 4 <= body.size()) {
    const std::uint16_t code = Le16(body, at);
    const std::uint16_t length = Le16(body, at + 2);
    if (code == 0) break;
    options[code] = std::string(body.substr(at + 4, length));
    at += 4 + (length + 3u) / 4 * 4;
  }
  return options;
}

struct Packet {
  std::uint32_t captured = 0;
  std::uint32_t original = 0;
  std::uint64_t timestamp = 0;
  std::string data;
  std::string comment;
  // IPv4 + TCP/UDP fields
  std::uint16_t ip_total = 0;
  std::uint8_t protocol = 0;
  std::uint16_t from_port = 0, to_port = 0;
  std::uint32_t seq = 0, ack = 0;
  std::uint8_t flags = 0;
  std::size_t payload_captured = 0;
};

std::vector<Packet> Packets(const std::string& file) {
  std::vector<Packet> packets;
  for (const Block& block : Blocks(file)) {
    if (block.type != 6) continue;
    Packet p;
    BOOST_REQUIRE_EQUAL(Le32(block.body, 0), 0u);  // interface 0
    p.timestamp = (std::uint64_t{Le32(block.body, 4)} << 32) | Le32(block.body, 8);
    p.captured = Le32(block.body, 12);
    p.original = Le32(block.body, 16);
    p.data = block.body.substr(20, p.captured);
    auto options = Options(block.body, 20 + (p.captured + 3u) / 4 * 4);
    if (options.count(1)) p.comment = options[1];
    p.ip_total = Be16(p.data, 2);
    p.protocol = static_cast<std::uint8_t>(p.data[9]);
    p.from_port = Be16(p.data, 20);
    p.to_port = Be16(p.data, 22);
    if (p.protocol == 6) {
      p.seq = Be32(p.data, 24);
      p.ack = Be32(p.data, 28);
      p.flags = static_cast<std::uint8_t>(p.data[33]);
      p.payload_captured = p.data.size() - 40;
    } else {
      p.payload_captured = p.data.size() - 28;
    }
    packets.push_back(std::move(p));
  }
  return packets;
}

std::unique_ptr<cap::FileCapture> MakeCapture(const std::filesystem::path& path,
                                              cap::CaptureOptions options = {}) {
  auto capture = cap::FileCapture::Create(path, std::move(options));
  BOOST_REQUIRE(capture.ok());
  return std::move(capture).value();
}

using namespace cap::tcp_flags;

}  // namespace

BOOST_AUTO_TEST_CASE(section_header_carries_magic_application_and_comment) {
  const std::string shb = cap::EncodeSectionHeader("otasim 0.1.0", "scenario x over http");
  auto blocks = Blocks(shb);
  BOOST_REQUIRE_EQUAL(blocks.size(), 1u);
  BOOST_TEST(blocks[0].type == 0x0A0D0D0Au);
  BOOST_TEST(Le32(blocks[0].body, 0) == 0x1A2B3C4Du);
  BOOST_TEST(Le16(blocks[0].body, 4) == 1);  // version 1.0
  BOOST_TEST(Le16(blocks[0].body, 6) == 0);
  auto options = Options(blocks[0].body, 16);
  BOOST_TEST(options[4] == "otasim 0.1.0");
  BOOST_TEST(options[1] == "scenario x over http");
}

BOOST_AUTO_TEST_CASE(interface_is_raw_ip_in_microseconds) {
  auto blocks = Blocks(cap::EncodeInterface(cap::kLinkTypeRaw, 0, "otasim"));
  BOOST_REQUIRE_EQUAL(blocks.size(), 1u);
  BOOST_TEST(blocks[0].type == 1u);
  BOOST_TEST(Le16(blocks[0].body, 0) == 101);
  auto options = Options(blocks[0].body, 8);
  BOOST_TEST(options[2] == "otasim");
  BOOST_TEST(options[9] == std::string(1, '\x06'));
}

BOOST_AUTO_TEST_CASE(packet_data_and_options_are_padded_to_32_bits) {
  for (std::size_t length : {0u, 1u, 2u, 3u, 4u, 5u}) {
    const std::string data(length, 'x');
    const std::string epb = cap::EncodeEnhancedPacket(0, 0x0000000100000002ull, data, 1000, "hi!");
    BOOST_TEST(epb.size() % 4 == 0u);
    auto blocks = Blocks(epb);
    BOOST_REQUIRE_EQUAL(blocks.size(), 1u);
    BOOST_TEST(Le32(blocks[0].body, 4) == 1u);  // timestamp high
    BOOST_TEST(Le32(blocks[0].body, 8) == 2u);  // timestamp low
    BOOST_TEST(Le32(blocks[0].body, 12) == length);
    BOOST_TEST(Le32(blocks[0].body, 16) == 1000u);
    BOOST_TEST(Options(blocks[0].body, 20 + (length + 3) / 4 * 4)[1] == "hi!");
  }
}

BOOST_AUTO_TEST_CASE(checksums_verify_as_zero) {
  cap::Ipv4Endpoint a{{192, 0, 2, 2}, 50000};
  cap::Ipv4Endpoint b{{192, 0, 2, 1}, 80};
  const std::string tcp = cap::TcpPacket(a, b, 7, 9, kPsh | kAck, "hello", 5);
  BOOST_TEST(cap::ChecksumFinish(cap::ChecksumAdd(0, tcp.substr(0, 20))) == 0);
  // The TCP checksum covers the pseudo-header: source, destination, zero, protocol, length.
  std::string pseudo = tcp.substr(12, 8) + std::string("\0\x06\0\x19", 4);
  BOOST_TEST(cap::ChecksumFinish(cap::ChecksumAdd(cap::ChecksumAdd(0, pseudo), tcp.substr(20))) == 0);
  const std::string udp = cap::UdpPacket(a, b, "odd", 3);
  std::string udp_pseudo = udp.substr(12, 8) + std::string("\0\x11\0\x0b", 4);
  BOOST_TEST(cap::ChecksumFinish(cap::ChecksumAdd(cap::ChecksumAdd(0, udp_pseudo), udp.substr(20))) == 0);
}

BOOST_AUTO_TEST_CASE(tcp_flow_has_handshake_seq_ack_progression_and_fin) {
  otasim::testing::TempDir dir("otasim-pcapng");
  auto capture = MakeCapture(dir.path() / "c.pcapng");
  const auto flow = capture->OpenFlow("tcp", "http", "device 127.0.0.1:5555");
  BOOST_REQUIRE(flow != 0u);
  capture->Record(flow, CaptureDirection::kToServer, "GET / HTTP/1.1\r\n\r\n", 18);
  capture->Record(flow, CaptureDirection::kToDevice, "HTTP/1.1 200 OK\r\n", 17);
  capture->Record(flow, CaptureDirection::kToDevice, "body", 4);
  capture->CloseFlow(flow, false);
  BOOST_REQUIRE(capture->Close().ok());
  auto p = Packets(otasim::testing::Slurp(dir.path() / "c.pcapng"));
  BOOST_REQUIRE_EQUAL(p.size(), 9u);
  BOOST_TEST(p[0].flags == kSyn);
  BOOST_TEST(p[0].comment == "device 127.0.0.1:5555");
  BOOST_TEST(p[0].to_port == 80);
  BOOST_TEST(p[1].flags == (kSyn | kAck));
  BOOST_TEST(p[1].ack == p[0].seq + 1);
  BOOST_TEST(p[2].flags == kAck);
  BOOST_TEST(p[2].ack == p[1].seq + 1);
  const std::uint32_t c = p[0].seq + 1, s = p[1].seq + 1;
  BOOST_TEST(p[3].seq == c);
  BOOST_TEST(p[3].ack == s);
  BOOST_TEST(p[3].data.substr(40) == "GET / HTTP/1.1\r\n\r\n");
  BOOST_TEST(p[4].seq == s);
  BOOST_TEST(p[4].ack == c + 18);
  BOOST_TEST(p[5].seq == s + 17);
  BOOST_TEST(p[5].data.substr(40) == "body");
  BOOST_TEST(p[6].flags == (kFin | kAck));
  BOOST_TEST(p[6].seq == s + 21);
  BOOST_TEST(p[7].flags == (kFin | kAck));
  BOOST_TEST(p[7].seq == c + 18);
  BOOST_TEST(p[7].ack == s + 22);
  BOOST_TEST(p[8].flags == kAck);
  BOOST_TEST(p[8].ack == c + 19);
  for (std::size_t i = 1; i < p.size(); ++i) BOOST_TEST(p[i].timestamp >= p[i - 1].timestamp);
  for (const auto& packet : p) BOOST_TEST(packet.ip_total == packet.original);
}

BOOST_AUTO_TEST_CASE(a_cut_flow_ends_with_a_reset) {
  otasim::testing::TempDir dir("otasim-pcapng");
  auto capture = MakeCapture(dir.path() / "c.pcapng");
  const auto flow = capture->OpenFlow("tcp", "mqtt", "x");
  capture->Record(flow, CaptureDirection::kToDevice, "abc", 3);
  capture->CloseFlow(flow, true);
  capture->Record(flow, CaptureDirection::kToDevice, "late", 4);  // ignored: the flow is gone
  BOOST_REQUIRE(capture->Close().ok());
  auto p = Packets(otasim::testing::Slurp(dir.path() / "c.pcapng"));
  BOOST_REQUIRE_EQUAL(p.size(), 5u);
  BOOST_TEST(p[3].from_port == 1883);
  BOOST_TEST(p[4].flags == (kRst | kAck));
  BOOST_TEST(p[4].seq == p[3].seq + 3);
}

BOOST_AUTO_TEST_CASE(large_payload_is_segmented_and_capped) {
  otasim::testing::TempDir dir("otasim-pcapng");
  cap::CaptureOptions options;
  options.max_kept_bytes = 100000;
  auto capture = MakeCapture(dir.path() / "c.pcapng", options);
  const auto flow = capture->OpenFlow("tcp", "http", "x");
  const std::string body(200000, 'b');
  capture->Record(flow, CaptureDirection::kToDevice, body, body.size());
  // Only a prefix in hand: the rest is accounted for, not kept.
  capture->Record(flow, CaptureDirection::kToDevice, "", 70000);
  const auto stats = capture->stats();
  BOOST_REQUIRE(capture->Close().ok());
  BOOST_TEST(stats.payload_bytes == 270000u);
  BOOST_TEST(stats.elided_bytes == 170000u);
  auto p = Packets(otasim::testing::Slurp(dir.path() / "c.pcapng"));
  std::uint64_t original = 0, kept = 0;
  std::uint32_t expected_seq = p[1].seq + 1;
  int notes = 0;
  for (std::size_t i = 3; i + 3 < p.size(); ++i) {
    BOOST_TEST(p[i].original - 40 <= cap::kMaxTcpPayload);
    BOOST_TEST(p[i].seq == expected_seq);
    expected_seq += p[i].original - 40;
    original += p[i].original - 40;
    kept += p[i].payload_captured;
    if (p[i].comment.find("capture cap") != std::string::npos) ++notes;
  }
  BOOST_TEST(original == 270000u);
  BOOST_TEST(kept == 100000u);
  BOOST_TEST(notes == 1);
  BOOST_TEST(std::filesystem::file_size(dir.path() / "c.pcapng") < 110000u);
}

BOOST_AUTO_TEST_CASE(udp_datagrams_on_the_coap_port) {
  otasim::testing::TempDir dir("otasim-pcapng");
  cap::CaptureOptions options;
  options.max_kept_bytes = 10;
  options.udp_kept_beyond_cap = 4;
  auto capture = MakeCapture(dir.path() / "c.pcapng", options);
  const auto flow = capture->OpenFlow("udp", "coap", "label");
  capture->Record(flow, CaptureDirection::kToServer, "12345678", 8);
  capture->Record(flow, CaptureDirection::kToDevice, "0123456789abcdef", 16);
  capture->CloseFlow(flow, false);
  BOOST_REQUIRE(capture->Close().ok());
  auto p = Packets(otasim::testing::Slurp(dir.path() / "c.pcapng"));
  BOOST_REQUIRE_EQUAL(p.size(), 2u);
  BOOST_TEST(p[0].protocol == 17);
  BOOST_TEST(p[0].to_port == 5683);
  BOOST_TEST(p[0].comment == "label");
  BOOST_TEST(p[0].data.substr(28) == "12345678");
  BOOST_TEST(p[1].from_port == 5683);
  BOOST_TEST(p[1].data.substr(28) == "0123456789");  // the cap
  BOOST_TEST(p[1].original == 28u + 16u);
}

BOOST_AUTO_TEST_CASE(unknown_flow_kinds_are_refused_without_stopping_the_capture) {
  otasim::testing::TempDir dir("otasim-pcapng");
  std::vector<std::string> errors;
  cap::CaptureOptions options;
  options.on_error = [&](const otasim::Error& e) { errors.push_back(e.message()); };
  auto capture = MakeCapture(dir.path() / "c.pcapng", options);
  BOOST_TEST(capture->OpenFlow("sctp", "http", "") == 0u);
  BOOST_TEST(capture->OpenFlow("tcp", "gopher", "") == 0u);
  BOOST_TEST(capture->OpenFlow("udp", "coap", "") != 0u);
  BOOST_TEST(errors.size() == 2u);
  BOOST_TEST(capture->Close().ok());
}

BOOST_AUTO_TEST_CASE(unwritable_path_is_an_error) {
  otasim::testing::TempDir dir("otasim-pcapng");
  auto capture = cap::FileCapture::Create(dir.path() / "missing" / "c.pcapng", {});
  BOOST_REQUIRE(!capture.ok());
  BOOST_TEST((capture.error().code() == otasim::Errc::kIo));
  BOOST_TEST(capture.error().message().find("missing/c.pcapng") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_write_error_is_reported_once_and_stops_the_capture) {
  int errors = 0;
  cap::CaptureOptions options;
  options.on_error = [&](const otasim::Error&) { ++errors; };
  auto capture = MakeCapture("/dev/full", options);
  const auto flow = capture->OpenFlow("tcp", "http", "x");
  const std::string chunk(64 * 1024, 'z');
  for (int i = 0; i < 40; ++i) capture->Record(flow, CaptureDirection::kToDevice, chunk, chunk.size());
  capture->CloseFlow(flow, false);
  BOOST_TEST(!capture->Close().ok());
  BOOST_TEST(errors == 1);
  BOOST_TEST(capture->OpenFlow("tcp", "http", "x") == 0u);
}

BOOST_AUTO_TEST_CASE(flows_from_several_threads_stay_consistent) {
  otasim::testing::TempDir dir("otasim-pcapng");
  auto capture = MakeCapture(dir.path() / "c.pcapng");
  constexpr int kThreads = 4, kFlowsPerThread = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kFlowsPerThread; ++i) {
        const auto flow = capture->OpenFlow("tcp", "http", "x");
        capture->Record(flow, CaptureDirection::kToServer, "ping", 4);
        capture->Record(flow, CaptureDirection::kToDevice, "pong!", 5);
        capture->CloseFlow(flow, i % 2 == 0);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  BOOST_REQUIRE(capture->Close().ok());
  auto p = Packets(otasim::testing::Slurp(dir.path() / "c.pcapng"));
  // Per flow: 3 handshake + 2 data + (1 RST or 3 FIN/ACK).
  constexpr int kResets = (kFlowsPerThread + 1) / 2, kFins = kFlowsPerThread / 2;
  BOOST_TEST(p.size() == static_cast<std::size_t>(kThreads * (kResets * (5 + 1) + kFins * (5 + 3))));
  for (const auto& packet : p) {
    if (packet.to_port != 80 || packet.flags != (kPsh | kAck)) continue;
    BOOST_TEST(packet.data.substr(40) == "ping");
  }
}

BOOST_AUTO_TEST_CASE(open_flows_are_finished_at_close) {
  otasim::testing::TempDir dir("otasim-pcapng");
  auto capture = MakeCapture(dir.path() / "c.pcapng");
  capture->OpenFlow("tcp", "http", "x");
  BOOST_REQUIRE(capture->Close().ok());
  BOOST_REQUIRE(capture->Close().ok());  // idempotent
  auto p = Packets(otasim::testing::Slurp(dir.path() / "c.pcapng"));
  BOOST_REQUIRE_EQUAL(p.size(), 6u);
  BOOST_TEST(p[3].flags == (kFin | kAck));
  BOOST_TEST(p[3].comment == "still open when the capture ended");
}
