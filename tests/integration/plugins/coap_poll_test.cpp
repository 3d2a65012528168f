#define BOOST_TEST_MODULE server_coap_poll
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/plugins_fake_env.hpp"
#include "transport/coap/coap_client.hpp"

using otasim::Exchange;
using otasim::ImageDelivery;
using otasim::RequestInfo;
using otasim::testing::FakeEnv;
using otasim::testing::FakeEnvOptions;
using otasim::testing::PluginCatalog;
namespace coap = otasim::coap;
using std::chrono::milliseconds;

namespace {

constexpr std::uint64_t kSize = 100000;  // not a whole number of blocks
constexpr std::uint64_t kBlock = 1024;
constexpr auto kWait = std::chrono::seconds(5);
const std::string kPskIdentity = "dev-0001";
const std::string kPskKey = "0123456789abcdef0123";

template <class T>
std::string ErrorText(const otasim::Result<T>& result) {
  return result.ok() ? "ok" : result.error().What();
}

// FakeEnv speaks HTTP and has no PSK; the server model sees it through this, as a CoAP session.
class CoapEnv final : public otasim::ServerEnvironment {
 public:
  explicit CoapEnv(FakeEnvOptions options, bool with_psk = true) : fake(options) {
    tls_ = fake.tls();
    if (with_psk) {
      tls_.psk_identity = kPskIdentity;
      tls_.psk_key = kPskKey;
    }
  }

  FakeEnv fake;

  std::string_view protocol() const override { return "coap"; }
  std::string_view device_id() const override { return fake.device_id(); }
  const std::filesystem::path& work_dir() const override { return fake.work_dir(); }
  otasim::Timeline& timeline() override { return fake.timeline(); }
  const otasim::Release* FindRelease(std::string_view name) const override {
    return fake.FindRelease(name);
  }
  const otasim::Release* PublishedRelease() const override { return fake.PublishedRelease(); }
  std::vector<std::string> ServedManifests() const override { return fake.ServedManifests(); }
  otasim::Result<otasim::crypto::PrivateKey> RogueSigningKey() override {
    return fake.RogueSigningKey();
  }
  std::uint64_t Seed(std::string_view component) const override { return fake.Seed(component); }
  std::string DeviceNow() const override { return fake.DeviceNow(); }
  bool UseTls() const override { return fake.UseTls(); }
  const otasim::TlsMaterial& tls() const override { return tls_; }
  std::vector<otasim::Attacker*> ActiveAttackers() override { return fake.ActiveAttackers(); }
  void RecordExchange(Exchange exchange) override { fake.RecordExchange(std::move(exchange)); }
  void RecordStatus(otasim::StatusReport report) override { fake.RecordStatus(std::move(report)); }
  void RecordServedManifest(const std::string& envelope) override {
    fake.RecordServedManifest(envelope);
  }

 private:
  otasim::TlsMaterial tls_;
};

// The bytes of a source, then `extra` bytes of 'x': more than the image, with no length known.
class LongerSource final : public otasim::ByteSource {
 public:
  LongerSource(otasim::ByteSourcePtr inner, std::uint64_t extra)
      : inner_(std::move(inner)), extra_(extra) {}
  otasim::Result<std::size_t> Read(std::span<std::uint8_t> out) override {
    if (!inner_done_) {
      auto n = inner_->Read(out);
      if (!n.ok() || *n > 0) return n;
      inner_done_ = true;
    }
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), extra_));
    std::fill_n(out.begin(), n, std::uint8_t{'x'});
    extra_ -= n;
    return n;
  }
  std::optional<std::uint64_t> Length() const override { return std::nullopt; }

 private:
  otasim::ByteSourcePtr inner_;
  std::uint64_t extra_;
  bool inner_done_ = false;
};

// Counts its hook calls and lets a test change each image delivery.
class TestAttacker final : public otasim::Attacker {
 public:
  using ImageChange = std::function<void(const RequestInfo&, ImageDelivery&)>;
  void SetOnImage(ImageChange change) {
    std::lock_guard lock(mutex_);
    on_image_ = std::move(change);
  }

  otasim::Status OnManifest(otasim::SessionContext&, const RequestInfo&,
                            otasim::ManifestDelivery&) override {
    std::lock_guard lock(mutex_);
    ++manifest_calls_;
    return {};
  }
  otasim::Status OnImage(otasim::SessionContext&, const RequestInfo& request,
                         ImageDelivery& delivery) override {
    std::lock_guard lock(mutex_);
    image_calls_.push_back(request);
    if (on_image_) on_image_(request, delivery);
    return {};
  }
  int manifest_calls() {
    std::lock_guard lock(mutex_);
    return manifest_calls_;
  }
  std::vector<RequestInfo> image_calls() {
    std::lock_guard lock(mutex_);
    return image_calls_;
  }

 private:
  std::mutex mutex_;
  ImageChange on_image_;
  int manifest_calls_ = 0;
  std::vector<RequestInfo> image_calls_;
};

std::uint16_t PortOf(const std::string& uri) {
  auto colon = uri.rfind(':');
  auto slash = uri.find('/', colon);
  return static_cast<std::uint16_t>(std::stoi(uri.substr(colon + 1, slash - colon - 1)));
}

// A server.coap-poll over a CoAP view of a fake environment with releases v1 and v2 (v2 not yet
// published) and an attacker slot.
struct Harness {
  explicit Harness(const std::string& security = "none",
                   std::map<std::string, std::string> params = {}, FakeEnvOptions options = {})
      : env(options), security(security) {
    env.fake.AddRelease({.name = "v1", .version = "1.0.0", .sequence = 1, .size = 4096});
    env.fake.AddRelease({.name = "v2", .version = "2.0.0", .sequence = 2, .size = kSize});
    env.fake.SetAttackers({&attacker});
    params["security"] = security;
    auto made = PluginCatalog::Get().MakeServer("server.coap-poll", params);
    BOOST_TEST_REQUIRE(made.ok(), ErrorText(made));
    server = std::move(made).value();
    auto started = server->Start(env);
    BOOST_TEST_REQUIRE(started.ok(), ErrorText(started));
    endpoint = *started;
    port = PortOf(endpoint["base_uri"].get<std::string>());
  }
  ~Harness() { server->Stop(); }

  coap::ClientOptions ClientOptions() const {
    coap::ClientOptions options;
    options.exchange_timeout = milliseconds(3000);
    options.session_timeout = milliseconds(60000);
    if (security == "psk") options.psk = coap::PskClientConfig{kPskIdentity, kPskKey};
    if (security == "cert") {
      options.cert = coap::CertClientConfig{env.fake.tls().ca_cert,
                                            env.fake.device_identity().cert_pem,
                                            env.fake.device_identity().key_pem};
    }
    return options;
  }

  std::unique_ptr<coap::Client> Connect(std::optional<coap::ClientOptions> options = {}) {
    auto client = coap::Connect("127.0.0.1", port, options.value_or(ClientOptions()));
    BOOST_TEST_REQUIRE(client.ok(), ErrorText(client));
    return std::move(client).value();
  }

  // Every exchange, once the current transfer has been closed.
  std::vector<Exchange> Exchanges(const std::string& kind = "") {
    BOOST_TEST_REQUIRE(server->WaitIdle(kWait).ok());
    std::vector<Exchange> found;
    for (auto& exchange : env.fake.exchanges()) {
      if (kind.empty() || exchange.kind == kind) found.push_back(exchange);
    }
    return found;
  }

  CoapEnv env;
  std::string security;
  TestAttacker attacker;
  std::unique_ptr<otasim::UpdateServerModel> server;
  nlohmann::json endpoint;
  std::uint16_t port = 0;
};

// Collects a block-wise body; stops after `stop_after` blocks when non-zero.
struct Collector {
  std::string data;
  std::uint64_t base = 0;
  std::size_t stop_after = 0;
  std::size_t blocks = 0;
  coap::BlockSink Sink() {
    return [this](std::uint64_t offset, const std::uint8_t* bytes, std::size_t size) {
      BOOST_TEST(offset == base + data.size());
      data.append(reinterpret_cast<const char*>(bytes), size);
      ++blocks;
      return stop_after == 0 || blocks < stop_after;
    };
  }
};

coap::BlockwiseResult Download(coap::Client& client, Collector& collector,
                               std::uint32_t start_block = 0,
                               const std::string& path = "/dev-0001/images/v2.bin") {
  collector.base = start_block * kBlock;
  auto result = client.GetBlockwise({.path = path, .start_block = start_block}, collector.Sink());
  BOOST_TEST_REQUIRE(result.ok(), ErrorText(result));
  return std::move(result).value();
}

// ---- hand-made datagrams ------------------------------------------------------------------

class UdpSocket {
 public:
  UdpSocket() : fd_(::socket(AF_INET, SOCK_DGRAM, 0)) { BOOST_TEST_REQUIRE(fd_ >= 0); }
  ~UdpSocket() { ::close(fd_); }
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  void SendTo(std::uint16_t port, const std::string& datagram) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_TEST_REQUIRE(::sendto(fd_, datagram.data(), datagram.size(), 0,
                                reinterpret_cast<sockaddr*>(&addr), sizeof addr) ==
                       static_cast<ssize_t>(datagram.size()));
  }
  std::optional<std::string> Receive(milliseconds timeout = milliseconds(1000)) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    char buffer[2048];
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0) return std::nullopt;
    return std::string(buffer, static_cast<std::size_t>(n));
  }

 private:
  int fd_;
};

// The option header nibble and its extension bytes (RFC 7252 §3.1).
void AppendNibbleValue(unsigned value, unsigned& nibble, std::string& extension) {
  if (value < 13) {
    nibble = value;
  } else if (value < 269) {
    nibble = 13;
    extension += static_cast<char>(value - 13);
  } else {
    nibble = 14;
    extension += static_cast<char>((value - 269) >> 8);
    extension += static_cast<char>((value - 269) & 0xff);
  }
}

using Options = std::vector<std::pair<unsigned, std::string>>;  // in ascending number order

std::string Uint(std::uint32_t value) {
  std::string bytes;
  while (value > 0) {
    bytes.insert(bytes.begin(), static_cast<char>(value & 0xff));
    value >>= 8;
  }
  return bytes;
}

std::string Block2(std::uint32_t num, unsigned szx) { return Uint((num << 4) | szx); }

Options PathOptions(const std::string& path) {  // "dev-0001/images/v2.bin"
  Options options;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = std::min(path.find('/', start), path.size());
    options.emplace_back(11, path.substr(start, end - start));
    start = end + 1;
  }
  return options;
}

// A confirmable request with a 2-byte token.
std::string Pdu(std::uint8_t code, std::uint16_t mid, const std::string& token,
                const Options& options, const std::string& payload = "") {
  std::string pdu;
  pdu += static_cast<char>(0x40 | token.size());
  pdu += static_cast<char>(code);
  pdu += static_cast<char>(mid >> 8);
  pdu += static_cast<char>(mid & 0xff);
  pdu += token;
  unsigned previous = 0;
  for (const auto& [number, value] : options) {
    unsigned delta_nibble = 0;
    unsigned length_nibble = 0;
    std::string extension;
    AppendNibbleValue(number - previous, delta_nibble, extension);
    std::string length_extension;
    AppendNibbleValue(static_cast<unsigned>(value.size()), length_nibble, length_extension);
    pdu += static_cast<char>((delta_nibble << 4) | length_nibble);
    pdu += extension + length_extension + value;
    previous = number;
  }
  if (!payload.empty()) pdu += "\xFF" + payload;
  return pdu;
}

int CodeOf(const std::string& datagram) {
  BOOST_TEST_REQUIRE(datagram.size() >= 4u);
  auto code = static_cast<unsigned char>(datagram[1]);
  return (code >> 5) * 100 + (code & 0x1f);
}

// The payload of a response datagram (after the 0xFF marker), skipping its options.
std::string PayloadOf(const std::string& datagram) {
  std::size_t i = 4 + (static_cast<unsigned char>(datagram[0]) & 0x0f);
  while (i < datagram.size()) {
    auto byte = static_cast<unsigned char>(datagram[i]);
    if (byte == 0xFF) return datagram.substr(i + 1);
    ++i;
    unsigned delta = byte >> 4;
    unsigned length = byte & 0x0f;
    auto extended = [&](unsigned nibble) {
      if (nibble == 13) return static_cast<unsigned>(static_cast<unsigned char>(datagram[i++])) + 13;
      if (nibble == 14) {
        unsigned value = (static_cast<unsigned char>(datagram[i]) << 8) |
                         static_cast<unsigned char>(datagram[i + 1]);
        i += 2;
        return value + 269;
      }
      return nibble;
    };
    extended(delta);
    i += extended(length);
  }
  return "";
}

// The response to one request datagram (skipping empty ACKs of separate responses).
std::optional<std::string> Ask(UdpSocket& socket, std::uint16_t port, const std::string& pdu) {
  socket.SendTo(port, pdu);
  for (;;) {
    auto reply = socket.Receive();
    if (!reply || reply->size() > 4 || CodeOf(*reply) != 0) return reply;
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(server_coap_poll)

// ---- set-up and parameters ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(describes_itself_and_returns_the_endpoint_block) {
  const otasim::TypeInfo* info = PluginCatalog::Get().Find("server.coap-poll");
  BOOST_TEST_REQUIRE(info != nullptr);
  BOOST_TEST(info->protocols == std::vector<std::string>{"coap"});
  std::vector<std::string> names;
  for (const auto& spec : info->params) names.push_back(spec.name);
  BOOST_TEST((names == std::vector<std::string>{"security", "block_size", "require_client_cert"}));

  Harness plain("none");
  std::string base_uri = plain.endpoint["base_uri"];
  BOOST_TEST(base_uri.starts_with("coap://127.0.0.1:"));
  BOOST_TEST(base_uri.ends_with("/dev-0001"));
  BOOST_TEST(plain.endpoint["security"] == "none");
  BOOST_TEST(plain.endpoint["block_size"] == 1024);

  Harness psk("psk", {{"block_size", "256"}});
  BOOST_TEST(psk.endpoint["base_uri"].get<std::string>().starts_with("coaps://127.0.0.1:"));
  BOOST_TEST(psk.endpoint["security"] == "psk");
  BOOST_TEST(psk.endpoint["block_size"] == 256);
}

BOOST_AUTO_TEST_CASE(bad_parameters_and_missing_material_are_refused_at_start) {
  auto start = [](std::map<std::string, std::string> params, FakeEnvOptions options = {},
                  bool with_psk = true) -> std::string {
    CoapEnv env(options, with_psk);
    auto server = PluginCatalog::Get().MakeServer("server.coap-poll", params);
    if (!server.ok()) return server.error().What();
    auto started = (*server)->Start(env);
    (*server)->Stop();
    return started.ok() ? "" : started.error().What();
  };
  for (const char* size : {"1000", "8", "2048", "0"}) {
    std::string error = start({{"security", "none"}, {"block_size", size}});
    BOOST_TEST(error.find("block_size") != std::string::npos, size << ": " << error);
  }
  BOOST_TEST(start({{"security", "psk"}, {"require_client_cert", "true"}})
                 .find("require_client_cert") != std::string::npos);
  BOOST_TEST(start({{"security", "psk"}}, {}, false).find("PSK") != std::string::npos);
  BOOST_TEST(start({{"security", "cert"}}).find("server certificate") != std::string::npos);
  BOOST_TEST(start({{"security", "cert"}, {"require_client_cert", "true"}}, {.use_tls = true})
                 .find("device CA") != std::string::npos);
  BOOST_TEST(!start({{"security", "tls"}}).empty());  // not one of the choices
  BOOST_TEST(start({{"security", "none"}, {"block_size", "16"}}).empty());
}

// ---- manifest -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(manifest_is_empty_until_published_then_the_envelope) {
  Harness h;
  auto client = h.Connect();
  auto none = client->Get("/dev-0001/manifest");
  BOOST_TEST_REQUIRE(none.ok(), ErrorText(none));
  BOOST_TEST(none->code == 205);
  BOOST_TEST(none->payload.empty());
  BOOST_TEST(none->content_format.value_or(0) == 50u);
  BOOST_TEST(h.env.ServedManifests().empty());

  h.env.fake.Publish("v2");
  Collector collector;  // the envelope may span a few blocks
  auto served = Download(*client, collector, 0, "/dev-0001/manifest");
  BOOST_TEST(served.code == 205);
  BOOST_TEST(served.complete);
  BOOST_TEST(served.content_format.value_or(0) == 50u);
  BOOST_TEST(collector.data == h.env.FindRelease("v2")->envelope);
  BOOST_TEST_REQUIRE(h.env.ServedManifests().size() == 1u);
  BOOST_TEST(h.attacker.manifest_calls() == 2);

  auto exchanges = h.Exchanges();
  BOOST_TEST_REQUIRE(exchanges.size() == 1u + served.blocks);
  BOOST_TEST(exchanges[0].kind == "manifest");
  BOOST_TEST(exchanges[0].protocol == "coap");
  BOOST_TEST(exchanges[0].bytes_sent == 0u);
  BOOST_TEST(exchanges[1].release == "v2");
  BOOST_TEST(exchanges[1].method == "GET");
  std::uint64_t bytes = 0;
  for (std::size_t i = 1; i < exchanges.size(); ++i) bytes += exchanges[i].bytes_sent;
  BOOST_TEST(bytes == collector.data.size());
  BOOST_TEST(h.env.fake.Events("server", "manifest-served").size() == 1u);
  BOOST_TEST(h.env.fake.Events("server", "manifest-none").size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_manifest_in_small_blocks_goes_through_the_attackers_once) {
  Harness h("none", {{"block_size", "64"}});
  h.env.fake.Publish("v2");
  auto client = h.Connect();
  Collector collector;
  auto served = Download(*client, collector, 0, "/dev-0001/manifest");
  BOOST_TEST(served.complete);
  BOOST_TEST(served.szx == 2u);  // 64 bytes although the client asked for 1024
  BOOST_TEST(served.blocks > 3u);
  BOOST_TEST(collector.data == h.env.FindRelease("v2")->envelope);
  BOOST_TEST(h.attacker.manifest_calls() == 1);
  BOOST_TEST(h.env.ServedManifests().size() == 1u);
  BOOST_TEST(h.Exchanges("manifest").size() == served.blocks);
}

// ---- image --------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(image_arrives_block_wise_as_one_recorded_transfer) {
  Harness h;
  auto client = h.Connect();
  Collector collector;
  auto result = Download(*client, collector);
  BOOST_TEST(result.code == 205);
  BOOST_TEST(result.complete);
  BOOST_TEST(result.blocks == (kSize + kBlock - 1) / kBlock);
  BOOST_TEST(result.size2.value_or(0) == kSize);
  BOOST_TEST(result.content_format.value_or(0) == 42u);
  BOOST_TEST((collector.data == h.env.fake.ImageBytes("v2")));

  // Recorded as soon as the last block went out, before any WaitIdle.
  auto recorded = h.env.fake.exchanges();
  BOOST_TEST_REQUIRE(recorded.size() == 1u);
  const Exchange& transfer = recorded[0];
  BOOST_TEST(transfer.kind == "image");
  BOOST_TEST(transfer.protocol == "coap");
  BOOST_TEST(transfer.method == "GET");
  BOOST_TEST(transfer.resource == "/dev-0001/images/v2.bin");
  BOOST_TEST(transfer.status == 205);
  BOOST_TEST(transfer.range_start == 0u);
  BOOST_TEST(transfer.bytes_sent == kSize);
  BOOST_TEST(transfer.end == "complete");
  BOOST_TEST(transfer.release == "v2");
  BOOST_TEST(transfer.client_identity.empty());
  auto served = h.env.fake.Events("server", "image-served");
  BOOST_TEST_REQUIRE(served.size() == 1u);
  BOOST_TEST(served[0]["bytes"] == kSize);
  BOOST_TEST(served[0]["end"] == "complete");
  auto calls = h.attacker.image_calls();
  BOOST_TEST_REQUIRE(calls.size() == 1u);
  BOOST_TEST(calls[0].protocol == "coap");
  BOOST_TEST(calls[0].resource == "image");
  BOOST_TEST(h.Exchanges().size() == 1u);
}

BOOST_AUTO_TEST_CASE(the_next_block_continues_a_transfer_a_new_cycle_resumes_it) {
  Harness h;
  const std::string image = h.env.fake.ImageBytes("v2");
  auto client = h.Connect();

  // Stopping and asking for the next block later is still the same transfer...
  Collector first;
  first.stop_after = 5;
  Download(*client, first);
  Collector second;
  second.stop_after = 5;
  Download(*client, second, 5);
  BOOST_TEST(h.attacker.image_calls().size() == 1u);

  // ...but after a manifest request (a new update cycle) a resume is a new transfer.
  BOOST_TEST_REQUIRE(client->Get("/dev-0001/manifest").ok());
  Collector rest;
  auto result = Download(*client, rest, 10);
  BOOST_TEST(result.complete);
  BOOST_TEST((first.data + second.data + rest.data == image));

  auto calls = h.attacker.image_calls();
  BOOST_TEST_REQUIRE(calls.size() == 2u);
  BOOST_TEST(calls[1].index == 1u);
  BOOST_TEST(calls[1].range_start == 10 * kBlock);
  auto transfers = h.Exchanges("image");
  BOOST_TEST_REQUIRE(transfers.size() == 2u);
  BOOST_TEST(transfers[0].end == "abandoned");
  BOOST_TEST(transfers[0].bytes_sent == 10 * kBlock);
  BOOST_TEST(transfers[1].end == "complete");
  BOOST_TEST(transfers[1].range_start == 10 * kBlock);
  BOOST_TEST(transfers[1].bytes_sent == kSize - 10 * kBlock);
}

BOOST_AUTO_TEST_CASE(wait_idle_records_an_abandoned_transfer) {
  Harness h;
  auto client = h.Connect();
  Collector collector;
  collector.stop_after = 3;
  Download(*client, collector);
  BOOST_TEST(h.env.fake.exchanges().empty());  // the device may still ask for block 3
  auto transfers = h.Exchanges();
  BOOST_TEST_REQUIRE(transfers.size() == 1u);
  BOOST_TEST(transfers[0].end == "abandoned");
  BOOST_TEST(transfers[0].bytes_sent == 3 * kBlock);
  BOOST_TEST(h.Exchanges().size() == 1u);  // recorded once

  // The next request after WaitIdle starts a new transfer, even at the next offset.
  Collector rest;
  Download(*client, rest, 3);
  BOOST_TEST(h.attacker.image_calls().size() == 2u);
}

// ---- attackers ----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(cut_after_stops_answering_and_the_retry_is_a_new_transfer) {
  Harness h;
  const std::string image = h.env.fake.ImageBytes("v2");
  h.attacker.SetOnImage([](const RequestInfo& request, ImageDelivery& delivery) {
    if (request.index == 0) delivery.cut_after = 4 * kBlock;
  });
  coap::ClientOptions options = h.ClientOptions();
  options.exchange_timeout = milliseconds(600);
  auto client = h.Connect(options);
  Collector cut;
  cut.base = 0;
  auto failed = client->GetBlockwise({.path = "/dev-0001/images/v2.bin"}, cut.Sink());
  BOOST_TEST_REQUIRE(!failed.ok());
  BOOST_TEST((failed.error().code() == otasim::Errc::kTimeout));
  BOOST_TEST(cut.blocks == 4u);

  auto retry = h.Connect();  // the device tries again, resuming from what it stored
  Collector rest;
  auto result = Download(*retry, rest, 4);
  BOOST_TEST(result.complete);
  BOOST_TEST((cut.data + rest.data == image));

  auto calls = h.attacker.image_calls();
  BOOST_TEST_REQUIRE(calls.size() == 2u);
  BOOST_TEST(calls[1].range_start == 4 * kBlock);
  auto transfers = h.Exchanges("image");
  BOOST_TEST_REQUIRE(transfers.size() == 2u);
  BOOST_TEST(transfers[0].end == "cut");
  BOOST_TEST(transfers[0].bytes_sent == 4 * kBlock);
  BOOST_TEST(transfers[0].status == 205);
  BOOST_TEST(transfers[1].end == "complete");
  BOOST_TEST(transfers[1].range_start == 4 * kBlock);
  BOOST_TEST(transfers[1].bytes_sent + transfers[1].range_start == kSize);
}

BOOST_AUTO_TEST_CASE(declared_length_is_the_size2_the_device_sees) {
  Harness h;
  h.attacker.SetOnImage([](const RequestInfo&, ImageDelivery& delivery) {
    delivery.declared_length = kSize + 5000;  // the source itself stays the true image
  });
  auto client = h.Connect();
  Collector collector;
  collector.stop_after = 1;  // a careful device refuses on the first block's Size2
  auto result = Download(*client, collector);
  BOOST_TEST(result.size2.value_or(0) == kSize + 5000);

  // Resumed at block 10 (a new cycle), Size2 still counts from the start of the image.
  BOOST_TEST_REQUIRE(client->Get("/dev-0001/manifest").ok());
  Collector resumed;
  resumed.stop_after = 1;
  auto later = Download(*client, resumed, 10);
  BOOST_TEST(later.size2.value_or(0) == 10 * kBlock + kSize + 5000);

  // A close-delimited delivery declares no size at all.
  h.attacker.SetOnImage([](const RequestInfo&, ImageDelivery& delivery) {
    delivery.close_delimited = true;
  });
  BOOST_TEST_REQUIRE(client->Get("/dev-0001/manifest").ok());
  Collector unsized;
  auto whole = Download(*client, unsized);
  BOOST_TEST(!whole.size2.has_value());
  BOOST_TEST(whole.complete);
  BOOST_TEST(unsized.data.size() == kSize);
}

BOOST_AUTO_TEST_CASE(a_longer_source_keeps_more_coming_a_shorter_one_ends_early) {
  Harness h;
  const std::string image = h.env.fake.ImageBytes("v2");
  h.attacker.SetOnImage([](const RequestInfo&, ImageDelivery& delivery) {
    delivery.source = std::make_unique<LongerSource>(std::move(delivery.source), 5000);
    delivery.close_delimited = true;
  });
  auto client = h.Connect();
  Collector longer;
  auto result = Download(*client, longer);
  BOOST_TEST(result.complete);
  BOOST_TEST(longer.data.size() == kSize + 5000);
  BOOST_TEST((longer.data.substr(0, kSize) == image));
  BOOST_TEST(!result.size2.has_value());

  h.attacker.SetOnImage([](const RequestInfo&, ImageDelivery& delivery) {
    delivery.source = otasim::MemorySource(std::string(3000, 's'));
  });
  BOOST_TEST_REQUIRE(client->Get("/dev-0001/manifest").ok());
  Collector shorter;
  auto cut_short = Download(*client, shorter);
  BOOST_TEST(cut_short.complete);
  BOOST_TEST(shorter.data == std::string(3000, 's'));
  BOOST_TEST(cut_short.size2.value_or(0) == 3000u);

  auto transfers = h.Exchanges("image");
  BOOST_TEST_REQUIRE(transfers.size() == 2u);
  // What the engine reads as extra bytes beyond the image: bytes_sent + range_start - size.
  BOOST_TEST(transfers[0].bytes_sent + transfers[0].range_start - kSize == 5000u);
  BOOST_TEST(transfers[0].end == "complete");
  BOOST_TEST(transfers[1].bytes_sent == 3000u);
}

// ---- status -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(status_reports_are_answered_with_the_lwm2m_update_result) {
  Harness h;
  auto client = h.Connect();
  const std::vector<std::tuple<std::string, std::string, int>> table = {
      {"installed", "none", 1},      {"rejected", "size", 2},      {"failed", "storage", 2},
      {"failed", "interrupted", 4},  {"failed", "tls", 4},         {"failed", "timeout", 4},
      {"rejected", "signature", 5},  {"rejected", "digest", 5},    {"rejected", "class", 6},
      {"rejected", "format", 6},     {"rejected", "rollback", 8},  {"no-update", "replay", 8},
      {"rejected", "expired", 8}};
  for (const auto& [result, reason, expected] : table) {
    nlohmann::json report = {{"device_id", "dev-0001"}, {"result", result}, {"reason", reason},
                             {"version", "2.0.0"},      {"sequence", 2},    {"code", 20}};
    auto answer = client->Post("/dev-0001/status", report.dump(), 50);
    BOOST_TEST_REQUIRE(answer.ok(), ErrorText(answer));
    BOOST_TEST(answer->code == 204);
    BOOST_TEST(answer->content_format.value_or(0) == 50u);
    auto body = nlohmann::json::parse(answer->payload, nullptr, false);
    BOOST_TEST(body == (nlohmann::json{{"update_result", expected}}), result << "/" << reason);
  }
  auto statuses = h.env.fake.statuses();
  BOOST_TEST_REQUIRE(statuses.size() == table.size());
  BOOST_TEST(statuses[1].result == "rejected");
  BOOST_TEST(statuses[1].reason == "size");
  BOOST_TEST(statuses[1].sequence == 2u);
  BOOST_TEST(statuses[1].code == 20);
  auto events = h.env.fake.Events("server", "status-received");
  BOOST_TEST_REQUIRE(events.size() == table.size());
  BOOST_TEST(events[3]["update_result"] == 4);
  for (const auto& exchange : h.Exchanges()) {
    BOOST_TEST(exchange.kind == "status");
    BOOST_TEST(exchange.method == "POST");
    BOOST_TEST(exchange.status == 204);
  }
}

BOOST_AUTO_TEST_CASE(wrong_paths_methods_and_bodies_get_4xx) {
  Harness h;
  h.env.fake.Publish("v2");
  auto client = h.Connect();
  auto code = [&](const std::string& method, const std::string& path,
                  const std::string& body = "") {
    auto response = method == "GET" ? client->Get(path) : client->Post(path, body, 50);
    BOOST_TEST_REQUIRE(response.ok(), ErrorText(response));
    return response->code;
  };
  for (const char* path : {"/dev-0001/nothing", "/dev-0002/manifest", "/dev-0001/images/v9.bin",
                           "/dev-0001/images/v2", "/dev-0001/images/", "/dev-0001", "/"}) {
    BOOST_TEST(code("GET", path) == 404, path);
  }
  BOOST_TEST(code("POST", "/dev-0001/manifest", "{}") == 405);
  BOOST_TEST(code("GET", "/dev-0001/status") == 405);
  BOOST_TEST(code("POST", "/dev-0001/images/v2.bin", "x") == 405);
  for (const char* body : {"", "not json", "[1,2]", "{\"reason\":\"digest\"}", "{\"result\":1}",
                           "{\"result\":\"failed\",\"sequence\":-1}"}) {
    BOOST_TEST(code("POST", "/dev-0001/status", body) == 400, body);
  }
  BOOST_TEST(h.env.fake.statuses().empty());
  BOOST_TEST(h.env.fake.Events("server", "status-malformed").size() == 6u);

  // A block past the end of the image.
  Collector beyond;
  auto past = client->GetBlockwise({.path = "/dev-0001/images/v2.bin", .start_block = 1000},
                                   beyond.Sink());
  BOOST_TEST_REQUIRE(past.ok(), ErrorText(past));
  BOOST_TEST(past->code == 402);
  BOOST_TEST(h.attacker.image_calls().empty());  // refused before any transfer began

  auto exchanges = h.Exchanges();
  BOOST_TEST(exchanges.size() == 17u);
  BOOST_TEST(exchanges.back().kind == "image");
  BOOST_TEST(exchanges.back().status == 402);
  BOOST_TEST(exchanges.back().range_start == 1000 * kBlock);
}

// ---- malformed datagrams ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(malformed_datagrams_get_an_error_or_nothing) {
  Harness h;
  UdpSocket socket;
  const auto image = PathOptions("dev-0001/images/v2.bin");
  const auto status = PathOptions("dev-0001/status");
  std::uint16_t mid = 100;
  auto ask = [&](std::uint8_t code, Options options, const std::string& payload = "") {
    auto reply = Ask(socket, h.port, Pdu(code, ++mid, "tk", options, payload));
    return reply ? CodeOf(*reply) : -1;
  };

  // Garbage and a truncated header: dropped or reset, nothing else.
  for (const std::string& junk : {std::string(200, '\x5a'), std::string("\x40\x01", 2)}) {
    socket.SendTo(h.port, junk);
    if (auto reply = socket.Receive(milliseconds(300))) BOOST_TEST(CodeOf(*reply) == 0);
  }
  // An unknown critical option (9) on the manifest.
  Options critical = PathOptions("dev-0001/manifest");
  critical.emplace_back(9, "x");
  std::sort(critical.begin(), critical.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  BOOST_TEST(ask(0x01, critical) == 402);
  // The largest block number there is: beyond the end of the image.
  auto huge = image;
  huge.emplace_back(23, Block2((1u << 20) - 1, 6));
  BOOST_TEST(ask(0x01, huge) == 402);
  // The reserved block size 7 (BERT, TCP only).
  auto bert = image;
  bert.emplace_back(23, Block2(1, 7));
  BOOST_TEST(ask(0x01, bert) == 400);
  // A Block2 option longer than 3 bytes.
  auto long_block = image;
  long_block.emplace_back(23, std::string("\x01\x02\x03\x06", 4));
  int long_code = ask(0x01, long_block);
  BOOST_TEST((long_code == -1 || long_code == 0 || long_code >= 400), long_code);
  // A payload over one block.
  BOOST_TEST(ask(0x02, status, std::string(1100, 'x')) == 413);
  // A status body that is not JSON, and one that is not even UTF-8.
  BOOST_TEST(ask(0x02, status, "{\"result\": ") == 400);
  BOOST_TEST(ask(0x02, status, "{\"result\": \"\xff\xfe\"}") == 400);
  // A path that is not UTF-8 (libcoap percent-encodes it), and a segment that hides a slash.
  BOOST_TEST(ask(0x01, {{11, "dev-0001"}, {11, "\xff\xfe"}}) == 404);
  BOOST_TEST(ask(0x01, {{11, "dev-0001"}, {11, "images/v2.bin"}}) == 404);
  // Another method on the image (DELETE).
  BOOST_TEST(ask(0x04, image) == 405);

  BOOST_TEST(h.attacker.image_calls().empty());
  BOOST_TEST(h.env.fake.statuses().empty());
  auto exchanges = h.Exchanges();
  bool escaped = std::any_of(exchanges.begin(), exchanges.end(), [](const Exchange& e) {
    return e.resource == "/dev-0001/%FF%FE" && e.status == 404;
  });
  BOOST_TEST(escaped);
  // Records stay valid JSON text.
  BOOST_TEST(!h.env.fake.timeline().Snapshot().dump().empty());

  // The server still serves.
  auto client = h.Connect();
  Collector collector;
  BOOST_TEST(Download(*client, collector).complete);
}

BOOST_AUTO_TEST_CASE(a_retransmitted_block_is_served_again_without_new_hooks) {
  Harness h;
  const std::string image = h.env.fake.ImageBytes("v2");
  UdpSocket socket;
  auto block = [&](std::uint32_t num, std::uint16_t mid, const std::string& token) {
    auto options = PathOptions("dev-0001/images/v2.bin");
    options.emplace_back(23, Block2(num, 6));
    auto reply = Ask(socket, h.port, Pdu(0x01, mid, token, options));
    BOOST_TEST_REQUIRE(reply.has_value());
    BOOST_TEST(CodeOf(*reply) == 205);
    return PayloadOf(*reply);
  };
  BOOST_TEST((block(0, 1, "t0") == image.substr(0, kBlock)));
  BOOST_TEST((block(1, 2, "t1") == image.substr(kBlock, kBlock)));
  // The same request again (what a lost response makes the device's stack do).
  BOOST_TEST((block(1, 3, "t1") == image.substr(kBlock, kBlock)));
  BOOST_TEST((block(2, 4, "t2") == image.substr(2 * kBlock, kBlock)));
  BOOST_TEST(h.attacker.image_calls().size() == 1u);

  // The same block with a new token is the device asking again: a new transfer.
  BOOST_TEST((block(2, 5, "t3") == image.substr(2 * kBlock, kBlock)));
  BOOST_TEST(h.attacker.image_calls().size() == 2u);
  auto transfers = h.Exchanges("image");
  BOOST_TEST_REQUIRE(transfers.size() == 2u);
  BOOST_TEST(transfers[0].bytes_sent == 3 * kBlock);  // the retransmission counted once
  BOOST_TEST(transfers[1].range_start == 2 * kBlock);
}

// ---- DTLS ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(dtls_psk_download_records_the_identity) {
  Harness h("psk");
  h.env.fake.Publish("v2");
  auto client = h.Connect();
  auto manifest = client->Get("/dev-0001/manifest");
  BOOST_TEST_REQUIRE(manifest.ok(), ErrorText(manifest));
  BOOST_TEST(manifest->code == 205);
  Collector collector;
  BOOST_TEST(Download(*client, collector).complete);
  BOOST_TEST((collector.data == h.env.fake.ImageBytes("v2")));
  auto transfers = h.Exchanges("image");
  BOOST_TEST_REQUIRE(transfers.size() == 1u);
  BOOST_TEST(transfers[0].client_identity == kPskIdentity);
}

BOOST_AUTO_TEST_CASE(dtls_psk_refuses_a_wrong_key_and_an_unknown_identity) {
  Harness h("psk");
  coap::ClientOptions options = h.ClientOptions();
  options.exchange_timeout = milliseconds(1500);
  options.psk = coap::PskClientConfig{kPskIdentity, "not-the-key"};
  auto wrong_key = h.Connect(options);
  auto refused = wrong_key->Get("/dev-0001/manifest");
  BOOST_TEST_REQUIRE(!refused.ok());
  BOOST_TEST_MESSAGE("wrong key: " << refused.error().What());

  options.psk = coap::PskClientConfig{"dev-9999", kPskKey};
  auto stranger = h.Connect(options);
  auto unknown = stranger->Get("/dev-0001/manifest");
  BOOST_TEST_REQUIRE(!unknown.ok());
  BOOST_TEST_MESSAGE("unknown identity: " << unknown.error().What());
  BOOST_TEST(h.Exchanges().empty());
}

BOOST_AUTO_TEST_CASE(dtls_cert_download_verifies_against_the_session_ca) {
  Harness h("cert", {}, {.use_tls = true});
  auto client = h.Connect();
  Collector collector;
  BOOST_TEST(Download(*client, collector).complete);
  BOOST_TEST((collector.data == h.env.fake.ImageBytes("v2")));

  // A device trusting another CA refuses the server.
  auto rogue = otasim::crypto::CertificateAuthority::Create("rogue CA");
  BOOST_TEST_REQUIRE(rogue.ok());
  coap::ClientOptions options = h.ClientOptions();
  options.exchange_timeout = milliseconds(1500);
  options.cert = coap::CertClientConfig{rogue->cert_pem(), "", ""};
  auto doubtful = h.Connect(options);
  BOOST_TEST(!doubtful->Get("/dev-0001/manifest").ok());
}

BOOST_AUTO_TEST_CASE(dtls_cert_with_a_required_client_certificate) {
  Harness h("cert", {{"require_client_cert", "true"}}, {.use_tls = true, .client_ca = true});
  auto client = h.Connect();
  auto manifest = client->Get("/dev-0001/manifest");
  BOOST_TEST_REQUIRE(manifest.ok(), ErrorText(manifest));
  BOOST_TEST(manifest->code == 205);
  auto exchanges = h.Exchanges();
  BOOST_TEST_REQUIRE(exchanges.size() == 1u);
  BOOST_TEST(exchanges[0].client_identity == "dev-0001");

  coap::ClientOptions options = h.ClientOptions();
  options.exchange_timeout = milliseconds(1500);
  options.cert = coap::CertClientConfig{h.env.fake.tls().ca_cert, "", ""};
  auto anonymous = h.Connect(options);
  BOOST_TEST(!anonymous->Get("/dev-0001/manifest").ok());
  BOOST_TEST(h.Exchanges().size() == 1u);
}

// ---- figures (not run by default: --run_test=server_coap_poll/transfer_16_mib) ------------

BOOST_AUTO_TEST_CASE(transfer_16_mib, *boost::unit_test::disabled()) {
  for (const std::string security : {"none", "cert", "psk"}) {
    Harness h(security, {}, {.use_tls = true});
    h.env.fake.AddRelease({.name = "big", .version = "3.0.0", .sequence = 3, .size = 16 << 20});
    auto client = h.Connect();
    std::uint64_t bytes = 0;
    auto start = std::chrono::steady_clock::now();
    auto result = client->GetBlockwise(
        {.path = "/dev-0001/images/big.bin"},
        [&](std::uint64_t, const std::uint8_t*, std::size_t size) {
          bytes += size;
          return true;
        });
    auto ms = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
    BOOST_TEST_REQUIRE(result.ok(), ErrorText(result));
    BOOST_TEST(bytes == std::uint64_t{16} << 20);
    BOOST_TEST_MESSAGE("16 MiB over coap security=" << security << ", 1024-byte blocks: "
                                                    << ms.count() << " ms, "
                                                    << (16.0 * 1000 / ms.count()) << " MiB/s");
  }
}

BOOST_AUTO_TEST_SUITE_END()
