// The reference device over CoAP(S): the real otasim-device binary against a real libcoap
// server on loopback (plain, DTLS with a PSK, DTLS with certificates) that serves a signed
// manifest and the image block-wise and records every request.
#define BOOST_TEST_MODULE coap_device
#include <boost/test/unit_test.hpp>

#include "coap_server.hpp"
#include "integration/targets/device_harness.hpp"

using namespace device_test;

namespace {

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

constexpr const char* kPskIdentity = "dev-0001";
constexpr const char* kPskHex = "00112233445566778899aabbccddeeff";

enum class Security { kNone, kPsk, kCert };

struct ImageRequestSeen {
  std::uint32_t block = 0;
  unsigned szx = 0;
};

// A scriptable CoAP update server next to the harness's releases and device runner.
class CoapDeviceFixture : public DeviceFixture {
 public:
  CoapDeviceFixture() {
    ca_ = std::make_unique<crypto::CertificateAuthority>(
        Must(crypto::CertificateAuthority::Create("otasim coap test CA"), "CA"));
    crypto::CertRequest device_request;
    device_request.common_name = "dev-0001";
    device_request.server = false;
    device_request.client = true;
    auto device_cert = Must(ca_->Issue(device_request), "device cert");
    WriteText(root() / "coap-ca.pem", ca_->cert_pem());
    WriteText(root() / "coap-device.pem", device_cert.cert_pem);
    WriteText(root() / "coap-device.key", device_cert.key_pem);
    WriteText(root() / "device.psk", std::string(kPskHex) + "\n");
  }

  ~CoapDeviceFixture() {
    if (server_) server_->Stop();
  }

  // Starts the server with `security` (and, for certificates, a server certificate issued by
  // `server_ca`, by default the CA the device trusts) and points the device's config at it.
  void Serve(Security security, const crypto::CertificateAuthority* server_ca = nullptr) {
    coap::ServerOptions options;
    if (security == Security::kPsk) {
      auto key = Must(crypto::HexDecode(kPskHex), "psk");
      options.psk = coap::PskServerConfig{{{kPskIdentity, std::string(key.begin(), key.end())}}};
    } else if (security == Security::kCert) {
      crypto::CertRequest request;
      request.common_name = "127.0.0.1";
      request.ip_addresses = {"127.0.0.1"};
      auto cert = Must((server_ca ? *server_ca : *ca_).Issue(request), "server cert");
      options.cert = coap::CertServerConfig{cert.cert_pem, cert.key_pem, true, ca_->cert_pem()};
    }
    server_ = Must(coap::StartServer(options, [this](const coap::Request& r) { return Handle(r); }),
                   "start CoAP server");

    json& config = Config();
    config["protocol"] = "coap";
    json coap = {{"base_uri", server_->BaseUri() + "/dev-0001"}, {"block_size", 1024}};
    if (security == Security::kNone) coap["security"] = "none";
    if (security == Security::kPsk) {
      coap["security"] = "psk";
      coap["psk_identity"] = kPskIdentity;
      coap["psk_file"] = (root() / "device.psk").string();
    }
    if (security == Security::kCert) coap["security"] = "cert";
    config["endpoints"] = {{"coap", coap}};
    config["tls"] = {{"ca_file", (root() / "coap-ca.pem").string()},
                     {"client_cert", (root() / "coap-device.pem").string()},
                     {"client_key", (root() / "coap-device.key").string()}};
    SaveConfig();
  }

  void SetTimeoutMs(int ms) {
    Config()["limits"]["timeout_ms"] = ms;
    SaveConfig();
  }

  // ---- the server's script ----
  void OfferCoap(const Release& release) {
    std::lock_guard lock(mu_);
    offer_ = release.envelope;
  }
  // Image blocks from this number on get no answer (an interrupted server); -1: all answered.
  void DropImageFromBlock(long block) {
    std::lock_guard lock(mu_);
    drop_from_block_ = block;
  }
  // Size2 declares this instead of the image's real size.
  void LieSize2(std::uint64_t size) {
    std::lock_guard lock(mu_);
    size2_lie_ = size;
  }

  std::vector<ImageRequestSeen> ImageBlocks() {
    std::lock_guard lock(mu_);
    return image_blocks_;
  }
  std::vector<json> CoapStatuses() {
    std::lock_guard lock(mu_);
    return statuses_;
  }
  std::vector<std::string> Identities() {
    std::lock_guard lock(mu_);
    return identities_;
  }

 private:
  coap::Response Handle(const coap::Request& request) {
    std::lock_guard lock(mu_);
    identities_.push_back(request.identity);
    if (request.method == "GET" && request.path == "/dev-0001/manifest") {
      coap::Response response;
      response.content_format = 50;
      response.payload = offer_.value_or("");
      return response;
    }
    if (request.method == "POST" && request.path == "/dev-0001/status") {
      statuses_.push_back(json::parse(request.payload, nullptr, false));
      const std::string result = statuses_.back().value("result", "");
      coap::Response response;
      response.code = 204;
      response.content_format = 50;
      response.payload = json{{"update_result", result == "installed" ? 1 : 8}}.dump();
      return response;
    }
    const std::string prefix = "/dev-0001/images/";
    if (request.method == "GET" && request.path.rfind(prefix, 0) == 0) {
      const fs::path image = root() / "releases/images" / request.path.substr(prefix.size());
      if (!fs::exists(image)) return coap::Response::Text(404, "no such image");
      const std::uint32_t num = request.block2 ? request.block2->num : 0;
      image_blocks_.push_back({num, request.block2 ? request.block2->szx : 6});
      if (drop_from_block_ >= 0 && num >= static_cast<std::uint32_t>(drop_from_block_)) {
        return coap::Response::Drop();
      }
      coap::Response response;
      response.content_format = 42;
      response.blocks = coap::FileBlockReader(image);
      response.size = size2_lie_.value_or(fs::file_size(image));
      return response;
    }
    return coap::Response::Text(404, "not here");
  }

  std::unique_ptr<crypto::CertificateAuthority> ca_;
  std::unique_ptr<coap::Server> server_;
  std::mutex mu_;
  std::optional<std::string> offer_;
  long drop_from_block_ = -1;
  std::optional<std::uint64_t> size2_lie_;
  std::vector<ImageRequestSeen> image_blocks_;
  std::vector<json> statuses_;
  std::vector<std::string> identities_;
};

void CheckInstalledV2(CoapDeviceFixture& f) {
  const json state = f.State();
  BOOST_REQUIRE(state["running"].is_object());
  BOOST_TEST(state["running"]["version"].get<std::string>() == "2.0.0");
  BOOST_TEST(state["slots"][1]["digest"].get<std::string>() == f.v2().digest);
  BOOST_TEST(state["last_result"].get<std::string>() == "installed");
  const auto statuses = f.CoapStatuses();
  BOOST_REQUIRE(!statuses.empty());
  BOOST_TEST(statuses.back().value("result", "") == "installed");
  BOOST_TEST(statuses.back().value("version", "") == "2.0.0");
  BOOST_TEST(statuses.back().value("code", -1) == 0);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(coap_device, CoapDeviceFixture)

BOOST_AUTO_TEST_CASE(installs_over_plain_coap_and_reports_by_post) {
  Serve(Security::kNone);
  Provision(v1());
  OfferCoap(v2());
  const auto check = Device("check");
  BOOST_TEST(check.exit_code == 0);
  CheckInstalledV2(*this);
  // Every block from 0, once: 256 KiB in 1 KiB blocks.
  const auto blocks = ImageBlocks();
  BOOST_REQUIRE_EQUAL(blocks.size(), kImageBytes / 1024);
  BOOST_TEST(blocks.front().block == 0u);
  BOOST_TEST(blocks.back().block == kImageBytes / 1024 - 1);
  BOOST_TEST(Contains(check.err, "update_result 1"));
}

BOOST_AUTO_TEST_CASE(installs_over_dtls_psk) {
  Serve(Security::kPsk);
  Provision(v1());
  OfferCoap(v2());
  BOOST_TEST(Device("check").exit_code == 0);
  CheckInstalledV2(*this);
  BOOST_TEST(Identities().front() == kPskIdentity);
}

BOOST_AUTO_TEST_CASE(installs_over_dtls_with_mutual_certificates) {
  Serve(Security::kCert);
  Provision(v1());
  OfferCoap(v2());
  BOOST_TEST(Device("check").exit_code == 0);
  CheckInstalledV2(*this);
  BOOST_TEST(Identities().front() == "dev-0001");  // the client certificate's CN
}

BOOST_AUTO_TEST_CASE(nothing_offered_is_no_update_without_report) {
  Serve(Security::kNone);
  Provision(v1());
  BOOST_TEST(Device("check").exit_code == 10);
  BOOST_TEST(CoapStatuses().empty());
}

BOOST_AUTO_TEST_CASE(interrupted_transfer_resumes_from_the_stored_block) {
  Serve(Security::kPsk);
  SetTimeoutMs(1000);
  Provision(v1());
  OfferCoap(v2());
  DropImageFromBlock(100);
  const auto first = Device("check");
  BOOST_TEST(first.exit_code == 30);
  json state = State();
  BOOST_TEST(state["last_result"].get<std::string>() == "failed");
  BOOST_TEST(state["last_reason"].get<std::string>() == "interrupted");
  BOOST_TEST(state["running"]["version"].get<std::string>() == "1.0.0");
  // The failure is reported, on a fresh session after the silent one.
  BOOST_REQUIRE(!CoapStatuses().empty());
  BOOST_TEST(CoapStatuses().back().value("reason", "") == "interrupted");
  const std::size_t asked_before = ImageBlocks().size();

  DropImageFromBlock(-1);
  const auto second = Device("check");
  BOOST_TEST(second.exit_code == 0);
  BOOST_TEST(Contains(second.err, "resuming at byte " + std::to_string(100 * 1024)));
  const auto blocks = ImageBlocks();
  BOOST_REQUIRE(blocks.size() > asked_before);
  BOOST_TEST(blocks[asked_before].block == 100u);  // resumed, not restarted
  BOOST_TEST(blocks.size() - asked_before == kImageBytes / 1024 - 100);
  CheckInstalledV2(*this);
}

BOOST_AUTO_TEST_CASE(silent_server_before_any_block_is_timeout) {
  Serve(Security::kNone);
  SetTimeoutMs(800);
  Provision(v1());
  OfferCoap(v2());
  DropImageFromBlock(0);
  BOOST_TEST(Device("check").exit_code == 30);
  BOOST_TEST(State()["last_reason"].get<std::string>() == "timeout");
}

BOOST_AUTO_TEST_CASE(size2_lie_is_rejected_before_storing_a_block) {
  Serve(Security::kNone);
  Provision(v1());
  OfferCoap(v2());
  LieSize2(kImageBytes + 4096);
  const auto check = Device("check");
  BOOST_TEST(check.exit_code == 20);
  BOOST_TEST(Contains(check.err, "Size2 " + std::to_string(kImageBytes + 4096)));
  BOOST_TEST(State()["last_reason"].get<std::string>() == "size");
  BOOST_TEST(ImageBlocks().size() == 1u);  // judged on the first block's Size2
  const fs::path staging = state_dir() / "download/image.part";
  BOOST_TEST((!fs::exists(staging) || fs::file_size(staging) == 0u));
  BOOST_TEST(CoapStatuses().back().value("reason", "") == "size");
}

BOOST_AUTO_TEST_CASE(flaw_install_while_streaming_still_refuses_a_size2_lie_untouched) {
  Serve(Security::kNone);
  Provision(v1());
  OfferCoap(v2());
  LieSize2(kImageBytes - 1024);
  BOOST_TEST(Device("check", "install-while-streaming").exit_code == 20);
  const json state = State("install-while-streaming");
  BOOST_TEST(state["slots"][0]["digest"].get<std::string>() == v1().digest);
  BOOST_TEST(state["bootable"].get<bool>());
}

BOOST_AUTO_TEST_CASE(flaw_no_size_check_ignores_size2) {
  Serve(Security::kNone);
  Provision(v1());
  OfferCoap(v2());
  LieSize2(kImageBytes + 4096);
  BOOST_TEST(Device("check", "no-size-check").exit_code == 0);
  BOOST_TEST(State()["running"]["version"].get<std::string>() == "2.0.0");
}

BOOST_AUTO_TEST_CASE(server_certificate_from_another_ca_is_tls_failure) {
  auto rogue = Must(crypto::CertificateAuthority::Create("rogue CA"), "rogue CA");
  Serve(Security::kCert, &rogue);
  Provision(v1());
  OfferCoap(v2());
  const auto check = Device("check");
  BOOST_TEST(check.exit_code == 30);
  BOOST_TEST(State()["last_reason"].get<std::string>() == "tls");
  BOOST_TEST(ImageBlocks().empty());
  BOOST_TEST(State()["running"]["version"].get<std::string>() == "1.0.0");
}

BOOST_AUTO_TEST_CASE(flaw_no_status_report_sends_nothing_over_coap) {
  Serve(Security::kNone);
  Provision(v1());
  OfferCoap(v2());
  BOOST_TEST(Device("check", "no-status-report").exit_code == 0);
  BOOST_TEST(CoapStatuses().empty());
}

BOOST_AUTO_TEST_CASE(bad_coap_endpoint_names_the_field) {
  Serve(Security::kPsk);
  Provision(v1());
  Config()["endpoints"]["coap"].erase("psk_file");
  SaveConfig();
  const auto check = Device("check");
  BOOST_TEST(check.exit_code == 2);
  BOOST_TEST(Contains(check.err, "endpoints.coap.psk_file"));
}

BOOST_AUTO_TEST_SUITE_END()
