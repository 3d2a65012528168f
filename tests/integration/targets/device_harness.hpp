// Drives the real otasim-device binary against a real HTTPS update server (mutual TLS) in a
// temporary directory: keys, CA, signed releases, a scriptable server that records what the
// device asked for, and a subprocess runner where every wait has a deadline.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "http_server.hpp"
#include "otasim/byte_source.hpp"
#include "otasim/crypto.hpp"
#include "otasim/manifest.hpp"
#include "support/temp_dir.hpp"

extern char** environ;

namespace device_test {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;
using namespace otasim;
using otasim::testing::Slurp;

constexpr std::size_t kImageBytes = 256 * 1024;
constexpr const char* kNow = "2026-11-28T06:00:00Z";
constexpr const char* kIssued = "2026-11-28T00:00:00Z";
constexpr const char* kExpires = "2026-11-29T06:00:00Z";
constexpr const char* kVendor = "otasim-vendor";
constexpr const char* kClass = "otasim-class-a";
constexpr auto kProcessDeadline = 60s;  // generous: the machine is shared

template <class T>
T Must(Result<T> result, const std::string& what) {
  BOOST_REQUIRE_MESSAGE(result.ok(), what + ": " + (result.ok() ? "" : result.error().What()));
  return std::move(result).value();
}

inline void WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  BOOST_REQUIRE(out.good());
}

// ---- subprocesses ----------------------------------------------------------------------------

struct ProcessResult {
  int exit_code = -1;  // when it exited
  int signal = 0;      // when a signal killed it
  bool timed_out = false;
  std::string out;
  std::string err;
};

// A child with stdout and stderr in files; reaped by Wait() (or by the destructor).
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
        const fs::path& log_dir) {
    static int counter = 0;
    const std::string stem = "proc-" + std::to_string(++counter);
    out_path_ = log_dir / (stem + ".out");
    err_path_ = log_dir / (stem + ".err");
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
      if (std::string(*e).rfind("OTASIM_POWER_CUT=", 0) != 0) env.emplace_back(*e);
    }
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    std::vector<char*> c_argv, c_env;
    for (const auto& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
    c_argv.push_back(nullptr);
    for (const auto& e : env) c_env.push_back(const_cast<char*>(e.c_str()));
    c_env.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    const int rc = posix_spawn(&pid_, c_argv[0], &actions, nullptr, c_argv.data(), c_env.data());
    posix_spawn_file_actions_destroy(&actions);
    BOOST_REQUIRE_MESSAGE(rc == 0, "posix_spawn " + argv[0] + " failed: " + std::to_string(rc));
  }

  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  void Signal(int signal) const { ::kill(pid_, signal); }

  // Waits until the deadline, then kills; always reaps.
  ProcessResult Wait(std::chrono::milliseconds deadline = kProcessDeadline) {
    ProcessResult result;
    const auto until = std::chrono::steady_clock::now() + deadline;
    int status = 0;
    for (;;) {
      const pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) break;
      if (std::chrono::steady_clock::now() >= until) {
        result.timed_out = true;
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(10ms);
    }
    pid_ = -1;
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    result.out = Slurp(out_path_);
    result.err = Slurp(err_path_);
    return result;
  }

 private:
  pid_t pid_ = -1;
  fs::path out_path_, err_path_;
};

// ---- releases --------------------------------------------------------------------------------

struct Release {
  std::string version;
  std::uint64_t sequence = 0;
  fs::path image;
  fs::path manifest_file;
  std::string envelope;  // the signed envelope JSON as served
  std::string digest;
};

struct ReleaseOptions {
  const crypto::PrivateKey* key = nullptr;  // default: the vendor key
  std::string class_id = kClass;
  std::string expires = kExpires;
  std::string uri;                    // default: images/<name>.bin
  std::optional<std::uint64_t> size;  // default: the image size
};

// ---- an endless body, and one of unknown length ---------------------------------------------

class EndlessSource : public ByteSource {
 public:
  Result<std::size_t> Read(std::span<std::uint8_t> out) override {
    std::fill(out.begin(), out.end(), std::uint8_t{0x5a});
    return out.size();
  }
  std::optional<std::uint64_t> Length() const override { return std::nullopt; }
};

class UnknownLengthSource : public ByteSource {
 public:
  explicit UnknownLengthSource(ByteSourcePtr inner) : inner_(std::move(inner)) {}
  Result<std::size_t> Read(std::span<std::uint8_t> out) override { return inner_->Read(out); }
  std::optional<std::uint64_t> Length() const override { return std::nullopt; }

 private:
  ByteSourcePtr inner_;
};

// The image followed by `extra` filler bytes, with the total as its length: a server that
// announces (and would send) more than the signed manifest says.
class PaddedSource : public ByteSource {
 public:
  PaddedSource(ByteSourcePtr inner, std::uint64_t extra)
      : inner_(std::move(inner)), extra_(extra) {}
  Result<std::size_t> Read(std::span<std::uint8_t> out) override {
    if (!inner_done_) {
      auto n = inner_->Read(out);
      if (!n || *n > 0) return n;
      inner_done_ = true;
    }
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), extra_ - sent_));
    std::fill_n(out.begin(), n, std::uint8_t{0x78});
    sent_ += n;
    return n;
  }
  std::optional<std::uint64_t> Length() const override {
    const auto inner = inner_->Length();
    if (!inner) return std::nullopt;
    return *inner + extra_;
  }

 private:
  ByteSourcePtr inner_;
  std::uint64_t extra_;
  std::uint64_t sent_ = 0;
  bool inner_done_ = false;
};

// ---- the fixture -----------------------------------------------------------------------------

struct RecordedRequest {
  std::string method;
  std::string target;
  std::string range;  // the Range header, empty when absent
};

enum class ImageBody { kFile, kUnknownLength, kEndless };

class DeviceFixture {
 public:
  DeviceFixture() {
    fs::create_directories(root_ / "releases/images");
    fs::create_directories(root_ / "logs");
    state_ = root_ / "state";
    config_ = root_ / "config.json";

    vendor_key_ = std::make_unique<crypto::PrivateKey>(
        Must(crypto::PrivateKey::Generate(crypto::KeyAlg::kEd25519), "vendor key"));
    rogue_key_ = std::make_unique<crypto::PrivateKey>(
        Must(crypto::PrivateKey::Generate(crypto::KeyAlg::kEd25519), "rogue key"));
    WriteText(root_ / "vendor.pub.pem", vendor_key_->Public().ToPem());

    auto ca = Must(crypto::CertificateAuthority::Create("otasim test CA"), "CA");
    crypto::CertRequest server_request;
    server_request.common_name = "127.0.0.1";
    server_request.ip_addresses = {"127.0.0.1"};
    auto server_cert = Must(ca.Issue(server_request), "server cert");
    crypto::CertRequest client_request;
    client_request.common_name = "dev-0001";
    client_request.server = false;
    client_request.client = true;
    auto client_cert = Must(ca.Issue(client_request), "client cert");
    WriteText(root_ / "ca.pem", ca.cert_pem());
    WriteText(root_ / "device.pem", client_cert.cert_pem);
    WriteText(root_ / "device.key", client_cert.key_pem);

    http::ServerOptions options;
    options.tls = http::TlsServerConfig{server_cert.cert_pem, server_cert.key_pem, ca.cert_pem(),
                                        /*require_client_cert=*/true};
    options.io_timeout = 5000ms;
    server_ = Must(http::StartServer(options, [this](const http::Request& r) { return Handle(r); }),
                   "start server");
    base_url_ = server_->BaseUrl() + "/dev-0001";

    v1_ = MakeRelease("v1", "1.0.0", 1, RandomBytes(kImageBytes, 1));
    v2_ = MakeRelease("v2", "2.0.0", 2, RandomBytes(kImageBytes, 2));
    config_json_ = DefaultConfig();
    SaveConfig();
  }

  ~DeviceFixture() {
    server_->Stop();
  }

  // ---- releases ----
  static std::string RandomBytes(std::size_t size, unsigned seed) {
    std::mt19937 rng(seed);
    std::string bytes(size, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng() & 0xff);
    return bytes;
  }

  Release MakeRelease(const std::string& name, const std::string& version, std::uint64_t sequence,
                      const std::string& image_bytes, const ReleaseOptions& opts = {}) {
    Release release;
    release.version = version;
    release.sequence = sequence;
    release.image = root_ / "releases/images" / (name + ".bin");
    WriteText(release.image, image_bytes);
    release.digest = crypto::HexEncode(crypto::Sha256::Of(crypto::AsBytes(image_bytes)));
    manifest::Manifest m;
    m.vendor_id = kVendor;
    m.class_id = opts.class_id;
    m.version = version;
    m.sequence = sequence;
    m.image.digest = release.digest;
    m.image.size = opts.size.value_or(image_bytes.size());
    m.image.uri = opts.uri.empty() ? "images/" + name + ".bin" : opts.uri;
    m.issued = kIssued;
    m.expires = opts.expires;
    const crypto::PrivateKey& key = opts.key ? *opts.key : *vendor_key_;
    auto envelope = Must(manifest::Sign(m, std::span<const crypto::PrivateKey>(&key, 1)), "sign");
    release.envelope = manifest::ToJson(envelope);
    release.manifest_file = root_ / "releases" / (name + ".manifest.json");
    WriteText(release.manifest_file, release.envelope);
    std::lock_guard lock(mu_);
    images_["/dev-0001/images/" + name + ".bin"] = release.image;
    return release;
  }

  // Serves `path` under the release's image URL instead of its real image (a tampered copy).
  void ServeInstead(const Release& release, const std::string& bytes) {
    const fs::path tampered =
        root_ / "releases" / (release.image.filename().string() + ".tampered");
    WriteText(tampered, bytes);
    std::lock_guard lock(mu_);
    images_["/dev-0001/images/" + release.image.filename().string()] = tampered;
  }

  static std::string FlipBit(std::string bytes, std::size_t at) {
    bytes[at] = static_cast<char>(bytes[at] ^ 0x01);
    return bytes;
  }

  // ---- the server's script ----
  void Offer(const Release& release) {
    std::lock_guard lock(mu_);
    offer_ = release.envelope;
  }
  void OfferNothing() {
    std::lock_guard lock(mu_);
    offer_.reset();
  }
  void CutNextImageAfter(std::uint64_t bytes) {
    std::lock_guard lock(mu_);
    cut_next_ = bytes;
  }
  void SetImageBody(ImageBody body) {
    std::lock_guard lock(mu_);
    image_body_ = body;
  }
  // Every image response carries `extra` filler bytes after the image (0: none).
  void AppendToImages(std::uint64_t extra) {
    std::lock_guard lock(mu_);
    image_extra_ = extra;
  }
  // Answers a Range request with 200 and the whole image, as a server without range support.
  void IgnoreRange(bool ignore) {
    std::lock_guard lock(mu_);
    ignore_range_ = ignore;
  }

  std::vector<RecordedRequest> Requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::vector<RecordedRequest> ImageRequests() {
    std::vector<RecordedRequest> out;
    for (auto& r : Requests()) {
      if (r.target.find("/images/") != std::string::npos) out.push_back(r);
    }
    return out;
  }
  std::vector<json> Statuses() {
    std::lock_guard lock(mu_);
    return statuses_;
  }
  std::vector<http::BodyOutcome> ImageBodies() {
    std::lock_guard lock(mu_);
    return image_bodies_;
  }
  // The server reports a body's end from its own thread, maybe after the device exited.
  std::optional<http::BodyOutcome> WaitImageBody(std::size_t index) {
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < until) {
      auto bodies = ImageBodies();
      if (bodies.size() > index) return bodies[index];
      std::this_thread::sleep_for(10ms);
    }
    return std::nullopt;
  }

  // ---- the device ----
  json DefaultConfig() const {
    return {{"contract", "otasim-target/1"},
            {"device_id", "dev-0001"},
            {"vendor_id", kVendor},
            {"class_id", kClass},
            {"protocol", "http"},
            {"endpoints", {{"http", {{"base_url", base_url_}}}}},
            {"tls",
             {{"ca_file", (root_ / "ca.pem").string()},
              {"client_cert", (root_ / "device.pem").string()},
              {"client_key", (root_ / "device.key").string()}}},
            {"trust_anchors", {(root_ / "vendor.pub.pem").string()}},
            {"limits",
             {{"max_image_bytes", 64 << 20}, {"timeout_ms", 3000}, {"poll_interval_ms", 200}}},
            {"now", kNow},
            {"initial_firmware",
             {{"manifest", v1_.manifest_file.string()}, {"image", v1_.image.string()}}}};
  }
  json& Config() { return config_json_; }
  void SaveConfig() { WriteText(config_, config_json_.dump(2)); }

  static std::string DeviceBin() { return std::string(OTASIM_BIN_DIR) + "/otasim-device"; }

  std::vector<std::string> Argv(const std::string& verb, const std::string& flaws) const {
    std::vector<std::string> argv = {DeviceBin(), verb, "--state", state_.string()};
    if (verb != "state" && verb != "boot") {
      argv.push_back("--config");
      argv.push_back(config_.string());
    }
    if (!flaws.empty()) {
      argv.push_back("--flaws");
      argv.push_back(flaws);
    }
    return argv;
  }

  ProcessResult Device(const std::string& verb, const std::string& flaws = "",
                       const std::vector<std::string>& env = {}) {
    Child child(Argv(verb, flaws), env, root_ / "logs");
    ProcessResult result = child.Wait();
    BOOST_TEST_MESSAGE("otasim-device " << verb << (flaws.empty() ? "" : " --flaws " + flaws)
                                        << " -> exit " << result.exit_code << " signal "
                                        << result.signal << "\n"
                                        << result.err);
    BOOST_REQUIRE_MESSAGE(!result.timed_out,
                          "otasim-device " + verb + " timed out:\n" + result.err);
    return result;
  }

  std::unique_ptr<Child> StartDevice(const std::string& verb, const std::string& flaws = "") {
    return std::make_unique<Child>(Argv(verb, flaws), std::vector<std::string>{}, root_ / "logs");
  }

  void Provision(const Release& initial, const std::string& flaws = "") {
    config_json_["initial_firmware"] = {{"manifest", initial.manifest_file.string()},
                                        {"image", initial.image.string()}};
    SaveConfig();
    const auto result = Device("provision", flaws);
    BOOST_REQUIRE_MESSAGE(result.exit_code == 0, "provision failed:\n" + result.err);
  }

  json State(const std::string& flaws = "") {
    const auto result = Device("state", flaws);
    BOOST_REQUIRE_EQUAL(result.exit_code, 0);
    json state = json::parse(result.out, nullptr, false);
    BOOST_REQUIRE_MESSAGE(!state.is_discarded(), "state is not JSON: " + result.out);
    return state;
  }

  const fs::path& root() const { return root_; }
  const fs::path& state_dir() const { return state_; }
  const Release& v1() const { return v1_; }
  const Release& v2() const { return v2_; }
  const crypto::PrivateKey& rogue_key() const { return *rogue_key_; }

 private:
  http::Response Handle(const http::Request& request) {
    std::lock_guard lock(mu_);
    requests_.push_back({request.method, request.target, request.Header("range").value_or("")});
    if (request.method == "GET" && request.target == "/dev-0001/manifest") {
      if (!offer_) return http::Response::Text(204, "");
      return http::Response::Text(200, *offer_, "application/json");
    }
    if (request.method == "POST" && request.target == "/dev-0001/status") {
      statuses_.push_back(json::parse(request.body, nullptr, false));
      return http::Response::Text(200, "ok");
    }
    const auto image = images_.find(request.target);
    if (request.method != "GET" || image == images_.end()) return http::Response::Text(404, "no");

    http::Response response;
    response.headers["content-type"] = "application/octet-stream";
    response.on_body_end = [this](const http::BodyOutcome& outcome) {
      std::lock_guard lock(mu_);
      image_bodies_.push_back(outcome);
    };
    if (image_body_ == ImageBody::kEndless) {
      response.stream = std::make_unique<EndlessSource>();
      return response;
    }
    std::uint64_t offset = 0;
    const auto range = request.Header("range");
    const std::uint64_t size = fs::file_size(image->second);
    if (range && range->rfind("bytes=", 0) == 0 && !ignore_range_) {
      offset = std::stoull(range->substr(6));
      response.status = 206;
      response.headers["content-range"] = "bytes " + std::to_string(offset) + "-" +
                                          std::to_string(size - 1) + "/" + std::to_string(size);
    }
    auto source = OpenFileSource(image->second, offset);
    if (!source) return http::Response::Text(500, source.error().What());
    ByteSourcePtr body = std::move(*source);
    if (image_extra_ > 0) body = std::make_unique<PaddedSource>(std::move(body), image_extra_);
    if (image_body_ == ImageBody::kUnknownLength) {
      response.stream = std::make_unique<UnknownLengthSource>(std::move(body));
    } else {
      response.stream = std::move(body);
    }
    response.cut_after = std::exchange(cut_next_, std::nullopt);
    return response;
  }

  // Declared first so that it is removed last, after everything that may still use it.
  otasim::testing::TempDir temp_{"otasim-device-test"};
  const fs::path root_ = temp_.path();
  fs::path state_, config_;
  std::unique_ptr<crypto::PrivateKey> vendor_key_, rogue_key_;
  std::unique_ptr<http::Server> server_;
  std::string base_url_;
  Release v1_, v2_;
  json config_json_;

  std::mutex mu_;
  std::optional<std::string> offer_;
  std::map<std::string, fs::path> images_;
  std::optional<std::uint64_t> cut_next_;
  ImageBody image_body_ = ImageBody::kFile;
  std::uint64_t image_extra_ = 0;
  bool ignore_range_ = false;
  std::vector<RecordedRequest> requests_;
  std::vector<json> statuses_;
  std::vector<http::BodyOutcome> image_bodies_;
};

}  // namespace device_test
