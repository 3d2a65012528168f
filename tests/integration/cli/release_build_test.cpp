#define BOOST_TEST_MODULE release_build_cli
#include <boost/test/unit_test.hpp>

// A device maker's tooling: `otasim keys generate` and `otasim release build`, checked with the
// real consumers — OpenSSL reads the certificates, SWUpdate installs the .swu, otasim's
// manifest verifier accepts the native release with the generated public key.

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "otasim/crypto.hpp"
#include "otasim/files.hpp"
#include "otasim/manifest.hpp"
#include "support/run_otasim.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using otasim::testing::RunOtasimCommand;
using otasim::testing::TempDir;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string Read(const fs::path& path) { return otasim::ReadFile(path, 1 << 30).value(); }

// Runs a shell command; its exit status, its output in `out`.
int Shell(const std::string& command, std::string* out = nullptr) {
  std::FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  BOOST_REQUIRE(pipe != nullptr);
  std::string text;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) text.append(buffer, n);
  const int status = pclose(pipe);
  BOOST_TEST_INFO(command << "\n" << text);
  if (out != nullptr) *out = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// `openssl x509 -text` of a certificate: what a TLS peer reads from it.
std::string CertText(const fs::path& cert) {
  std::string text;
  BOOST_REQUIRE_MESSAGE(Shell("openssl x509 -noout -text -in '" + cert.string() + "'", &text) == 0, text);
  return text;
}

struct Workspace {
  TempDir dir{"otasim-release-build"};
  fs::path keys = dir.path() / "keys";
  fs::path image;

  Workspace() {
    std::mt19937 rng(7);
    std::string bytes(30001, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    image = dir.Write("firmware.img", bytes);
    auto made = RunOtasimCommand({"keys", "generate", "--out", keys.string()});
    BOOST_REQUIRE_MESSAGE(made.exit_code == 0, made.output);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(release_build, Workspace)

BOOST_AUTO_TEST_CASE(keys_are_written_once_with_private_files_owner_only) {
  for (const char* name : {"vendor.key.pem", "codesign.key.pem", "tls-server.key.pem",
                           "tls-ca.key.pem", "device.key"}) {
    const fs::perms perms = fs::status(keys / name).permissions();
    BOOST_TEST(((perms & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none), name);
  }
  BOOST_TEST(fs::exists(keys / "README.txt"));
  const std::string before = Read(keys / "vendor.key.pem");
  auto again = RunOtasimCommand({"keys", "generate", "--out", keys.string()});
  BOOST_TEST(again.exit_code == 2);
  BOOST_TEST(Contains(again.output, "--force"));
  BOOST_TEST(Read(keys / "vendor.key.pem") == before);
  auto forced = RunOtasimCommand({"keys", "generate", "--out", keys.string(), "--force"});
  BOOST_TEST(forced.exit_code == 0, forced.output);
  BOOST_TEST(Read(keys / "vendor.key.pem") != before);

  // One file of a key directory is enough to refuse: nothing is half-replaced.
  const fs::path partial = dir.path() / "partial";
  fs::create_directories(partial);
  const std::string device_before = "not really a certificate\n";
  BOOST_REQUIRE(otasim::WriteFileAtomic(partial / "device.pem", device_before).ok());
  auto refused = RunOtasimCommand({"keys", "generate", "--out", partial.string()});
  BOOST_TEST(refused.exit_code == 2);
  BOOST_TEST(Contains(refused.output, "device.pem exists"), refused.output);
  BOOST_TEST(Read(partial / "device.pem") == device_before);
  BOOST_TEST(!fs::exists(partial / "vendor.key.pem"));
}

BOOST_AUTO_TEST_CASE(the_server_certificate_names_every_host_and_the_device_has_an_identity) {
  const fs::path out = dir.path() / "lan";
  auto made = RunOtasimCommand({"keys", "generate", "--out", out.string(), "--host", "127.0.0.1",
                                "--host", "192.0.2.2", "--host", "updates.example", "--host",
                                "[fd00::5]", "--device-id", "dev-42"});
  BOOST_REQUIRE_MESSAGE(made.exit_code == 0, made.output);
  const std::string server = CertText(out / "tls-server.cert.pem");
  BOOST_TEST(Contains(server, "IP Address:127.0.0.1"), server);
  BOOST_TEST(Contains(server, "IP Address:192.0.2.2"));
  BOOST_TEST(Contains(server, "IP Address:FD00:0:0:0:0:0:0:5"));
  BOOST_TEST(Contains(server, "DNS:updates.example"));
  BOOST_TEST(!Contains(server, "DNS:localhost"));  // only what was asked for
  BOOST_TEST(Contains(server, "TLS Web Server Authentication"));

  const std::string device = CertText(out / "device.pem");
  BOOST_TEST(Contains(device, "Subject: CN = dev-42"), device);
  BOOST_TEST(Contains(device, "Issuer: CN = otasim device-maker TLS CA"));
  BOOST_TEST(Contains(device, "TLS Web Client Authentication"));
  BOOST_TEST(!Contains(device, "TLS Web Server Authentication"));
  // Both chain to the CA the device trusts, and the kept CA key is that CA's.
  const std::string ca = " -CAfile '" + (out / "tls-ca.cert.pem").string() + "' ";
  BOOST_TEST(Shell("openssl verify -purpose sslclient" + ca + "'" + (out / "device.pem").string() + "'") == 0);
  BOOST_TEST(Shell("openssl verify -purpose sslserver" + ca + "'" + (out / "tls-server.cert.pem").string() + "'") == 0);
  auto key = otasim::crypto::PrivateKey::LoadPem(out / "device.key");
  BOOST_REQUIRE(key.ok());
  auto kept_ca = otasim::crypto::CertificateAuthority::FromPem(Read(out / "tls-ca.cert.pem"),
                                                               Read(out / "tls-ca.key.pem"));
  BOOST_TEST(kept_ca.ok());
  BOOST_TEST(Contains(Read(out / "README.txt"), "CN dev-42"));

  // The default names the loopback address and localhost, and a device called dev-0001.
  const std::string default_server = CertText(keys / "tls-server.cert.pem");
  BOOST_TEST(Contains(default_server, "DNS:localhost"), default_server);
  BOOST_TEST(Contains(default_server, "IP Address:127.0.0.1"));
  BOOST_TEST(Contains(CertText(keys / "device.pem"), "Subject: CN = dev-0001"));
}

BOOST_AUTO_TEST_CASE(bad_hosts_and_device_ids_are_usage_errors_that_write_nothing) {
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"--host", "not a host"}, {"--host", "evil/../x"},
        {"--device-id", "dev/1"}, {"--device-id", ""}}) {
    const fs::path out = dir.path() / "bad";
    std::vector<std::string> args = {"keys", "generate", "--out", out.string()};
    args.insert(args.end(), bad.begin(), bad.end());
    auto run = RunOtasimCommand(args);
    BOOST_TEST(run.exit_code == 2, run.output);
    BOOST_TEST(Contains(run.output, bad[0]), run.output);
    BOOST_TEST(!fs::exists(out));
  }
}

BOOST_AUTO_TEST_CASE(a_built_swu_installs_with_swupdate) {
  const fs::path swu = dir.path() / "v3.swu";
  const fs::path slot = dir.path() / "slot.bin";
  auto built = RunOtasimCommand({"release", "build", "--format", "swu", "--image", image.string(),
                                 "--version", "3.0.0", "--sequence", "3", "--keys", keys.string(),
                                 "--out", swu.string(), "--param", "slot_path=" + slot.string(),
                                 "--param", "hardware=2.1"});
  BOOST_REQUIRE_MESSAGE(built.exit_code == 0, built.output);
  fs::create_directories(dir.path() / "tmp");
  const std::string command = "TMPDIR='" + (dir.path() / "tmp").string() +
                              "' timeout -k 5 60 /usr/bin/swupdate -v -k '" +
                              (keys / "codesign.cert.pem").string() + "' -H board:2.1 -i '" +
                              swu.string() + "' 2>&1";
  std::FILE* pipe = popen(command.c_str(), "r");
  BOOST_REQUIRE(pipe != nullptr);
  std::string log;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) log.append(buffer, n);
  pclose(pipe);  // its exit code is unreliable after success (swu_swupdate_test): log + slot
  BOOST_TEST(Contains(log, "SWUPDATE successful"), log);
  BOOST_TEST(Contains(log, "Version 3.0.0"));
  BOOST_REQUIRE(fs::exists(slot));
  BOOST_TEST((Read(slot) == Read(image)));
}

BOOST_AUTO_TEST_CASE(a_native_release_verifies_with_the_vendor_public_key) {
  const fs::path out = dir.path() / "rel" / "v3.manifest.json";
  fs::create_directories(out.parent_path());
  auto built = RunOtasimCommand({"release", "build", "--image", image.string(), "--version",
                                 "3.0.0", "--sequence", "3", "--keys", keys.string(), "--out",
                                 out.string(), "--expires", "2031-02-03T04:05:06Z"});
  BOOST_REQUIRE_MESSAGE(built.exit_code == 0, built.output);
  auto pub = otasim::crypto::PublicKey::LoadPem(keys / "vendor.pub.pem");
  BOOST_REQUIRE(pub.ok());
  auto m = otasim::manifest::ParseAndVerify(Read(out), std::span(&*pub, 1));
  BOOST_REQUIRE(m.ok());
  BOOST_TEST(m.value().version == "3.0.0");
  BOOST_TEST(m.value().sequence == 3u);
  BOOST_TEST(m.value().expires == "2031-02-03T04:05:06Z");
  BOOST_TEST(m.value().image.uri == "v3.bin");
  BOOST_TEST(m.value().image.size == 30001u);
  BOOST_TEST((Read(out.parent_path() / "v3.bin") == Read(image)));
  BOOST_TEST(m.value().image.digest == otasim::crypto::Sha256FileHex(image).value());
}

BOOST_AUTO_TEST_CASE(bad_options_are_usage_errors) {
  auto bad_param = RunOtasimCommand({"release", "build", "--format", "swu", "--image",
                                     image.string(), "--version", "1.0.0", "--sequence", "1",
                                     "--keys", keys.string(), "--out",
                                     (dir.path() / "x.swu").string(), "--param", "handler=ubi"});
  BOOST_TEST(bad_param.exit_code == 2);
  BOOST_TEST(Contains(bad_param.output, "handler"), bad_param.output);
  auto no_keys = RunOtasimCommand({"release", "build", "--image", image.string(), "--version",
                                   "1.0.0", "--sequence", "1", "--keys",
                                   (dir.path() / "none").string(), "--out",
                                   (dir.path() / "x.manifest.json").string()});
  BOOST_TEST(no_keys.exit_code == 2);
  BOOST_TEST(Contains(no_keys.output, "keys generate"));
}

BOOST_AUTO_TEST_SUITE_END()
