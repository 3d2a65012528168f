#define BOOST_TEST_MODULE server_hawkbit_ddi
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <thread>

#include <openssl/evp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "http_client.hpp"
#include "otasim/crypto.hpp"
#include "support/plugins_fake_env.hpp"
#include "support/temp_dir.hpp"

using otasim::testing::FakeEnv;
using otasim::testing::PluginCatalog;
namespace http = otasim::http;

namespace {

constexpr std::uint64_t kSize = 64 * 1024;
constexpr auto kWait = std::chrono::seconds(5);

// A single-file format for the test: "HEAD <release>\n", the image, "\nTAIL".
class TestFormat final : public otasim::ReleaseFormat {
 public:
  bool SingleFile() const override { return true; }
  bool CarriesRootDocuments() const override { return false; }
  otasim::Result<std::string> TrustAnchorPem(otasim::FormatContext&) override { return std::string(); }
  otasim::Result<otasim::RenderedRelease> Render(otasim::FormatContext&, const std::string&,
                                                 const otasim::Release& original) override {
    return otasim::RenderedRelease{.head = "HEAD " + original.name + "\n",
                                   .tail = "\nTAIL",
                                   .image_size = original.manifest.image.size,
                                   .content_type = "application/octet-stream",
                                   .file_name = original.name + ".swu"};
  }
};

class NoIdentities final : public otasim::FormatContext {
 public:
  otasim::Result<otasim::SigningIdentity> SignerOf(const std::string&) override {
    return otasim::MakeError(otasim::Errc::kUnsupported, "test context");
  }
  otasim::Result<otasim::SigningIdentity> Identity(std::string_view) override {
    return otasim::MakeError(otasim::Errc::kUnsupported, "test context");
  }
};

// FakeEnv with a release format (FakeEnv has none): every call goes to the FakeEnv.
class FormattedEnv final : public otasim::ServerEnvironment {
 public:
  FormattedEnv(FakeEnv& env, otasim::ReleaseFormat* format) : env_(env), format_(format) {}
  std::string_view protocol() const override { return env_.protocol(); }
  std::string_view device_id() const override { return env_.device_id(); }
  const std::filesystem::path& work_dir() const override { return env_.work_dir(); }
  otasim::Timeline& timeline() override { return env_.timeline(); }
  const otasim::Release* FindRelease(std::string_view name) const override { return env_.FindRelease(name); }
  const otasim::Release* PublishedRelease() const override { return env_.PublishedRelease(); }
  std::vector<std::string> ServedManifests() const override { return env_.ServedManifests(); }
  otasim::Result<otasim::crypto::PrivateKey> RogueSigningKey() override { return env_.RogueSigningKey(); }
  std::uint64_t Seed(std::string_view component) const override { return env_.Seed(component); }
  std::string DeviceNow() const override { return env_.DeviceNow(); }
  bool UseTls() const override { return env_.UseTls(); }
  const otasim::TlsMaterial& tls() const override { return env_.tls(); }
  std::vector<otasim::Attacker*> ActiveAttackers() override { return env_.ActiveAttackers(); }
  void RecordExchange(otasim::Exchange exchange) override { env_.RecordExchange(std::move(exchange)); }
  void RecordStatus(otasim::StatusReport report) override { env_.RecordStatus(std::move(report)); }
  void RecordServedManifest(const std::string& envelope) override { env_.RecordServedManifest(envelope); }
  otasim::ReleaseFormat* release_format() override { return format_; }
  otasim::FormatContext* format_context() override { return format_ ? &context_ : nullptr; }

 private:
  FakeEnv& env_;
  otasim::ReleaseFormat* format_;
  NoIdentities context_;
};

std::string Sha1Hex(const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), out, &size, EVP_sha1(), nullptr);
  return otasim::crypto::HexEncode(otasim::crypto::ByteView(out, size));
}

// A TLS server.hawkbit-ddi over a fake environment with release v2 (not yet published).
struct Fixture {
  explicit Fixture(bool with_format = true, std::map<std::string, std::string> params = {})
      : env({.use_tls = true}), formatted(env, with_format ? &format : nullptr) {
    env.AddRelease({.name = "v2", .version = "2.0.0", .sequence = 2, .size = kSize});
    params.emplace("io_timeout", "3s");
    auto made = PluginCatalog::Get().MakeServer("server.hawkbit-ddi", params);
    BOOST_REQUIRE_MESSAGE(made.ok(), (made.ok() ? "" : made.error().What()));
    server = std::move(made).value();
    auto started = server->Start(formatted);
    BOOST_REQUIRE_MESSAGE(started.ok(), (started.ok() ? "" : started.error().What()));
    endpoint = *started;
    controller = endpoint["server_url"].get<std::string>() + "/default/controller/v1/dev-0001";
    client.ca_pem = env.tls().ca_cert;
    client.timeout = std::chrono::milliseconds(3000);
  }
  ~Fixture() { server->Stop(); }

  http::ClientResponse Fetch(const std::string& url, std::map<std::string, std::string> headers = {},
                             const std::string& method = "GET", const std::string& body = "") {
    http::ClientRequest request{.method = method, .url = url, .headers = std::move(headers),
                                .body = body, .max_body = 64 << 20};
    auto response = http::Fetch(request, client);
    BOOST_REQUIRE_MESSAGE(response.ok(), (response.ok() ? "" : response.error().What()));
    return std::move(response).value();
  }
  nlohmann::json Poll() {
    auto response = Fetch(controller);
    BOOST_REQUIRE_EQUAL(response.status, 200);
    return nlohmann::json::parse(response.body);
  }
  // The deployment the base poll links, fetched.
  nlohmann::json Deployment() {
    nlohmann::json base = Poll();
    BOOST_REQUIRE(base["_links"].contains("deploymentBase"));
    auto response = Fetch(base["_links"]["deploymentBase"]["href"].get<std::string>());
    BOOST_REQUIRE_EQUAL(response.status, 200);
    return nlohmann::json::parse(response.body);
  }
  std::string ExpectedFile() const { return "HEAD v2\n" + env.ImageBytes("v2") + "\nTAIL"; }
  std::unique_ptr<otasim::Attacker> Attacker(const std::string& id,
                                             const std::map<std::string, std::string>& raw) {
    auto attacker = PluginCatalog::Get().MakeAttacker(id, raw);
    BOOST_REQUIRE(attacker.ok());
    return std::move(attacker).value();
  }

  TestFormat format;
  FakeEnv env;
  FormattedEnv formatted;
  std::unique_ptr<otasim::UpdateServerModel> server;
  nlohmann::json endpoint;
  std::string controller;
  http::ClientOptions client;
};

std::string Feedback(const std::string& execution, const std::string& finished,
                     const std::string& detail) {
  return nlohmann::json{{"id", 1},
                        {"status",
                         {{"execution", execution},
                          {"result", {{"finished", finished}}},
                          {"details", {detail}}}}}
      .dump();
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(endpoint_block_names_server_tenant_and_controller, Fixture) {
  BOOST_TEST(endpoint["server_url"].get<std::string>().starts_with("https://127.0.0.1:"));
  BOOST_TEST(endpoint["host_port"].get<std::string>().starts_with("127.0.0.1:"));
  BOOST_TEST(endpoint["tenant"] == "default");
  BOOST_TEST(endpoint["controller_id"] == "dev-0001");
  BOOST_TEST(endpoint["poll_seconds"] == 1);
}

BOOST_FIXTURE_TEST_CASE(poll_offers_a_deployment_only_once_published, Fixture) {
  nlohmann::json base = Poll();
  BOOST_TEST(base["config"]["polling"]["sleep"] == "00:00:01");
  BOOST_TEST(!base["_links"].contains("deploymentBase"));
  BOOST_TEST(!base["_links"].contains("configData"));

  env.Publish("v2");
  base = Poll();
  BOOST_TEST(base["_links"].contains("deploymentBase"));
  // The same step and release keep the same action; a new step makes a new one.
  const std::string first = base["_links"]["deploymentBase"]["href"];
  BOOST_TEST(Poll()["_links"]["deploymentBase"]["href"] == first);
  BOOST_REQUIRE(server->WaitIdle(kWait).ok());
  BOOST_TEST(Poll()["_links"]["deploymentBase"]["href"] != first);
}

BOOST_AUTO_TEST_CASE(config_data_is_linked_when_asked) {
  Fixture f(true, {{"request_config_data", "true"}, {"poll_seconds", "75"}});
  nlohmann::json base = f.Poll();
  BOOST_TEST(base["config"]["polling"]["sleep"] == "00:01:15");
  BOOST_REQUIRE(base["_links"].contains("configData"));
  auto put = f.Fetch(base["_links"]["configData"]["href"], {}, "PUT",
                     R"({"data": {"board": "1.0"}})");
  BOOST_TEST(put.status == 200);
  auto events = f.env.Events("server", "config-data");
  BOOST_REQUIRE_EQUAL(events.size(), 1u);
  BOOST_TEST(events[0]["data"]["board"] == "1.0");
  BOOST_TEST(f.Fetch(base["_links"]["configData"]["href"], {}, "PUT", "{nope").status == 400);
}

BOOST_FIXTURE_TEST_CASE(deployment_describes_the_file_as_served, Fixture) {
  env.Publish("v2");
  nlohmann::json deployment = Deployment();
  BOOST_TEST(deployment["deployment"]["update"] == "forced");
  const auto& chunk = deployment["deployment"]["chunks"][0];
  BOOST_TEST(chunk["version"] == "2.0.0");
  BOOST_TEST(chunk["name"] == "v2");
  const auto& artifact = chunk["artifacts"][0];
  const std::string expected = ExpectedFile();
  BOOST_TEST(artifact["filename"] == "v2.swu");
  BOOST_TEST(artifact["size"] == expected.size());
  BOOST_TEST(artifact["hashes"]["sha1"] == Sha1Hex(expected));
  BOOST_TEST(artifact["hashes"]["sha256"] ==
             otasim::crypto::HexEncode(otasim::crypto::Sha256::Of(otasim::crypto::AsBytes(expected))));

  const std::string url = artifact["_links"]["download"]["href"];
  BOOST_TEST(artifact["_links"]["download-http"]["href"] == url);
  auto head = Fetch(url, {}, "HEAD");
  BOOST_TEST(head.status == 200);
  BOOST_TEST(head.content_length.value_or(0) == expected.size());
  auto whole = Fetch(url);
  BOOST_TEST(whole.status == 200);
  BOOST_TEST(whole.body == expected);
  auto rest = Fetch(url, {{"Range", "bytes=100-"}});
  BOOST_TEST(rest.status == 206);
  BOOST_TEST(rest.headers["content-range"] ==
             "bytes 100-" + std::to_string(expected.size() - 1) + "/" + std::to_string(expected.size()));
  BOOST_TEST(rest.body == expected.substr(100));
  BOOST_TEST(Fetch(url, {{"Range", "bytes=999999-"}}).status == 416);

  BOOST_REQUIRE(server->WaitIdle(kWait).ok());
  std::map<std::string, int> kinds;
  for (const auto& e : env.exchanges()) ++kinds[e.kind];
  BOOST_TEST(kinds["manifest"] == 1);
  BOOST_TEST(kinds["image"] == 3);  // the HEAD is not an image request
}

BOOST_FIXTURE_TEST_CASE(hashes_cover_what_a_tampering_attacker_serves, Fixture) {
  auto tamper = Attacker("attack.tamper", {{"mode", "image-bit-flip"}});
  env.SetAttackers({tamper.get()});
  env.Publish("v2");
  const nlohmann::json artifact = Deployment()["deployment"]["chunks"][0]["artifacts"][0];
  auto served = Fetch(artifact["_links"]["download"]["href"]);
  BOOST_TEST(served.body != ExpectedFile());
  BOOST_TEST(artifact["hashes"]["sha1"] == Sha1Hex(served.body));
  // One delivery, one hook call: the description's hashing did not run it a second time.
  BOOST_TEST(env.Events("attacker", "tamper").size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(an_interrupt_cuts_the_first_download_then_resume_completes, Fixture) {
  auto interrupt = Attacker("attack.interrupt", {{"at", "50"}, {"times", "1"}});
  env.SetAttackers({interrupt.get()});
  env.Publish("v2");
  const nlohmann::json artifact = Deployment()["deployment"]["chunks"][0]["artifacts"][0];
  const std::string url = artifact["_links"]["download"]["href"];
  auto first = Fetch(url);
  BOOST_TEST(!first.body_complete);
  BOOST_TEST(first.body.size() < ExpectedFile().size());
  auto rest = Fetch(url, {{"Range", "bytes=" + std::to_string(first.body.size()) + "-"}});
  BOOST_TEST(rest.status == 206);
  BOOST_TEST(rest.body_complete);
  BOOST_TEST(first.body + rest.body == ExpectedFile());
  BOOST_TEST(artifact["hashes"]["sha1"] == Sha1Hex(first.body + rest.body));
}

BOOST_FIXTURE_TEST_CASE(final_feedback_is_the_status_report_and_closes_the_action, Fixture) {
  env.Publish("v2");
  const std::string href = Poll()["_links"]["deploymentBase"]["href"];
  const std::string action_url = href.substr(0, href.find('?'));
  BOOST_TEST(Fetch(action_url + "/feedback", {}, "POST",
                   Feedback("proceeding", "none", "Installing Update Chunk Artifacts."))
                 .status == 200);
  BOOST_TEST(env.statuses().empty());
  BOOST_TEST(Poll()["_links"].contains("deploymentBase"));

  BOOST_TEST(Fetch(action_url + "/feedback", {}, "POST",
                   Feedback("closed", "success", "Update Installed."))
                 .status == 200);
  auto statuses = env.statuses();
  BOOST_REQUIRE_EQUAL(statuses.size(), 1u);
  BOOST_TEST(statuses[0].result == "installed");
  BOOST_TEST(statuses[0].version == "2.0.0");
  BOOST_TEST(statuses[0].sequence == 2u);
  BOOST_TEST(statuses[0].raw["details"][0] == "Update Installed.");
  BOOST_TEST(!Poll()["_links"].contains("deploymentBase"));
}

BOOST_FIXTURE_TEST_CASE(failure_feedback_keeps_swupdates_reason, Fixture) {
  env.Publish("v2");
  const std::string href = Poll()["_links"]["deploymentBase"]["href"];
  const std::string action_url = href.substr(0, href.find('?'));
  Fetch(action_url + "/feedback", {}, "POST",
        Feedback("closed", "failure", "ERROR : HASH mismatch : aa <--> bb"));
  auto statuses = env.statuses();
  BOOST_REQUIRE_EQUAL(statuses.size(), 1u);
  BOOST_TEST(statuses[0].result == "failed");
  BOOST_TEST(statuses[0].reason == "digest");
}

BOOST_FIXTURE_TEST_CASE(malformed_and_unknown_requests, Fixture) {
  env.Publish("v2");
  const std::string href = Poll()["_links"]["deploymentBase"]["href"];
  const std::string action_url = href.substr(0, href.find('?'));
  BOOST_TEST(Fetch(action_url + "/feedback", {}, "POST", "{not json").status == 400);
  BOOST_TEST(Fetch(action_url + "/feedback", {}, "POST", R"({"status": {}})").status == 400);
  BOOST_TEST(env.Events("server", "feedback-malformed").size() == 2u);
  BOOST_TEST(Fetch(controller + "/deploymentBase/999").status == 404);
  BOOST_TEST(Fetch(controller + "/softwaremodules/1/artifacts/other.swu").status == 404);
  const std::string server_url = endpoint["server_url"];
  BOOST_TEST(Fetch(server_url + "/other/controller/v1/dev-0001").status == 404);
  BOOST_TEST(Fetch(server_url + "/default/controller/v1/dev-0002").status == 404);
  BOOST_TEST(Fetch(controller, {}, "DELETE").status == 404);
  BOOST_TEST(env.statuses().empty());
}

BOOST_AUTO_TEST_CASE(native_format_offers_nothing_and_says_why) {
  Fixture f(/*with_format=*/false);
  f.env.Publish("v2");
  BOOST_TEST(!f.Poll()["_links"].contains("deploymentBase"));
  BOOST_TEST(f.env.Events("server", "deployment-unavailable").size() == 1u);
}

// ---- the real client: SWUpdate 2022.12 in suricatta (hawkBit) mode ----------------------

namespace {

constexpr const char* kSwupdate = "/usr/bin/swupdate";

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int Shell(const std::string& command) { return std::system(command.c_str()); }

// A .swu made by hand (openssl cms + cpio) around a release image, split where the image
// starts and ends, so that the release's image is streamed between head and tail. The test
// fixture stands in for the real format: whatever the envelope says, it serves this file.
class PreparedSwu final : public otasim::ReleaseFormat {
 public:
  PreparedSwu(const std::filesystem::path& dir, const std::string& image,
              const std::filesystem::path& slot) {
    const std::string d = dir.string();
    BOOST_REQUIRE_EQUAL(Shell("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                              "-nodes -keyout " + d + "/sign.key -out " + d + "/sign.crt -days 30 "
                              "-subj /CN=vendor -addext basicConstraints=critical,CA:TRUE "
                              "-addext extendedKeyUsage=codeSigning,emailProtection "
                              "2>/dev/null"), 0);
    std::ofstream(dir / "image.bin", std::ios::binary) << image;
    std::ofstream(dir / "sw-description")
        << "software = {\n  version = \"2.0.0\";\n  hardware-compatibility: [ \"1.0\" ];\n"
           "  images: ( { filename = \"image.bin\"; device = \"" << slot.string()
        << "\"; type = \"raw\"; sha256 = \""
        << otasim::crypto::HexEncode(otasim::crypto::Sha256::Of(otasim::crypto::AsBytes(image)))
        << "\"; } );\n};\n";
    BOOST_REQUIRE_EQUAL(Shell("cd " + d + " && openssl cms -sign -in sw-description -out "
                              "sw-description.sig -signer sign.crt -inkey sign.key -outform DER "
                              "-nosmimecap -binary && printf 'sw-description\\nsw-description.sig"
                              "\\nimage.bin\\n' | cpio -o -H crc > v2.swu 2>/dev/null"), 0);
    const std::string swu = ReadFile(dir / "v2.swu");
    const std::size_t at = swu.find(image);
    BOOST_REQUIRE(at != std::string::npos);
    head_ = swu.substr(0, at);
    tail_ = swu.substr(at + image.size());
    cert_ = dir / "sign.crt";
  }
  const std::filesystem::path& cert() const { return cert_; }

  bool SingleFile() const override { return true; }
  bool CarriesRootDocuments() const override { return false; }
  otasim::Result<std::string> TrustAnchorPem(otasim::FormatContext&) override { return ReadFile(cert_); }
  otasim::Result<otasim::RenderedRelease> Render(otasim::FormatContext&, const std::string&,
                                                 const otasim::Release& original) override {
    return otasim::RenderedRelease{.head = head_, .tail = tail_,
                                   .image_size = original.manifest.image.size,
                                   .content_type = "application/octet-stream",
                                   .file_name = original.name + ".swu"};
  }

 private:
  std::string head_, tail_;
  std::filesystem::path cert_;
};

// One swupdate process in its own process group, output to a file, killed at the end.
class Swupdate {
 public:
  Swupdate(const std::filesystem::path& dir, const std::vector<std::string>& args) {
    std::fflush(nullptr);  // or the child repeats what the test printed so far
    pid_ = fork();
    if (pid_ == 0) {
      setsid();
      const std::string log = (dir / "swupdate.log").string();
      FILE* out = std::freopen(log.c_str(), "a", stdout);
      if (out == nullptr || dup2(fileno(stdout), 2) < 0) _exit(126);
      setenv("TMPDIR", (dir / "tmp").c_str(), 1);
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(kSwupdate, argv.data());
      _exit(127);
    }
  }
  ~Swupdate() {
    if (pid_ <= 0) return;
    kill(-pid_, SIGKILL);  // suricatta and the downloader are its children, in its group
    waitpid(pid_, nullptr, 0);
  }

 private:
  pid_t pid_ = -1;
};

// Waits (with a deadline) until `done` holds.
bool WaitFor(const std::function<bool()>& done, std::chrono::seconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

struct SwupdateFixture {
  explicit SwupdateFixture(std::vector<otasim::Attacker*> attackers = {})
      : env({.use_tls = true}), work("otasim-hawkbit-swupdate") {
    const otasim::Release& v2 = env.AddRelease({.name = "v2", .version = "2.0.0", .sequence = 2, .size = 200 * 1024});
    (void)v2;
    slot = work.path() / "slot-b";
    std::ofstream(slot).flush();  // the raw handler opens the device, it does not create it
    std::filesystem::create_directories(work.path() / "tmp");
    format = std::make_unique<PreparedSwu>(work.path(), env.ImageBytes("v2"), slot);
    formatted = std::make_unique<FormattedEnv>(env, format.get());
    env.SetAttackers(std::move(attackers));
    auto made = PluginCatalog::Get().MakeServer("server.hawkbit-ddi", {{"io_timeout", "3s"}});
    BOOST_REQUIRE(made.ok());
    server = std::move(made).value();
    auto started = server->Start(*formatted);
    BOOST_REQUIRE(started.ok());
    server_url = (*started)["server_url"];
    const auto ca = work.Write("ca.pem", env.tls().ca_cert);
    config = work.Write("swupdate.cfg", "globals : { loglevel = 6; };\nsuricatta : { cafile = \"" +
                                            ca.string() + "\"; };\n");
    env.Publish("v2");
  }
  ~SwupdateFixture() { server->Stop(); }

  std::vector<std::string> Args(const std::string& extra = "") const {
    return {kSwupdate, "-v", "-f", config.string(), "-k", format->cert().string(), "-H", "board:1.0",
            "-u", "-t default -u " + server_url + " -i dev-0001 -p 1" + extra};
  }
  bool Saw(const std::string& execution, const std::string& detail) {
    for (const auto& e : env.Events("server", "feedback-received")) {
      if (e["execution"] != execution) continue;
      for (const auto& d : e["details"]) {
        if (d.get<std::string>().find(detail) != std::string::npos) return true;
      }
    }
    return false;
  }

  FakeEnv env;
  otasim::testing::TempDir work;
  std::filesystem::path slot, config;
  std::unique_ptr<PreparedSwu> format;
  std::unique_ptr<FormattedEnv> formatted;
  std::unique_ptr<otasim::UpdateServerModel> server;
  std::string server_url;
};

}  // namespace

BOOST_AUTO_TEST_CASE(swupdate_installs_then_confirms_after_a_restart_with_c2) {
  if (!std::filesystem::exists(kSwupdate)) {
    BOOST_TEST_MESSAGE("no " << kSwupdate << ": skipped");
    return;
  }
  SwupdateFixture f;
  {
    Swupdate daemon(f.work.path(), f.Args());
    BOOST_REQUIRE_MESSAGE(WaitFor([&] { return f.Saw("proceeding", "All Chunks Installed."); },
                                  std::chrono::seconds(30)),
                          ReadFile(f.work.path() / "swupdate.log").substr(0, 4000));
  }
  BOOST_TEST(ReadFile(f.slot) == f.env.ImageBytes("v2"));
  BOOST_TEST(f.env.statuses().empty());  // installed, not yet confirmed
  {
    Swupdate restarted(f.work.path(), f.Args(" -c 2"));
    BOOST_REQUIRE(WaitFor([&] { return !f.env.statuses().empty(); }, std::chrono::seconds(30)));
    // Closed: the next polls offer nothing, so it does not install again.
    std::this_thread::sleep_for(std::chrono::seconds(3));
  }
  auto statuses = f.env.statuses();
  BOOST_REQUIRE_EQUAL(statuses.size(), 1u);
  BOOST_TEST(statuses[0].result == "installed");
  BOOST_TEST(statuses[0].version == "2.0.0");
  BOOST_TEST(statuses[0].raw["details"][0] == "Update Installed.");
  BOOST_TEST(f.env.Events("server", "artifact-hashed").size() == 1u);
}

BOOST_AUTO_TEST_CASE(swupdate_reports_a_tampered_image_as_a_failure) {
  if (!std::filesystem::exists(kSwupdate)) {
    BOOST_TEST_MESSAGE("no " << kSwupdate << ": skipped");
    return;
  }
  auto tamper = PluginCatalog::Get().MakeAttacker("attack.tamper", {{"mode", "image-bit-flip"}});
  BOOST_REQUIRE(tamper.ok());
  SwupdateFixture f({tamper->get()});
  {
    Swupdate daemon(f.work.path(), f.Args());
    BOOST_REQUIRE(WaitFor([&] { return !f.env.statuses().empty(); }, std::chrono::seconds(30)));
  }
  auto statuses = f.env.statuses();
  BOOST_REQUIRE_GE(statuses.size(), 1u);
  BOOST_TEST(statuses[0].result == "failed");
  BOOST_TEST(statuses[0].reason == "digest");
  BOOST_TEST_MESSAGE("failure feedback: " << statuses[0].raw.dump());
  BOOST_TEST(ReadFile(f.slot) != f.env.ImageBytes("v2"));
  // The served hashes matched the tampered file: SWUpdate's own sha256 check refused it.
  // SWUpdate sends the error in a `proceeding` feedback or only in the final one, by timing.
  BOOST_TEST((f.Saw("proceeding", "HASH mismatch") ||
              statuses[0].raw.dump().find("HASH mismatch") != std::string::npos));
}
