#define BOOST_TEST_MODULE remote_target_runs
#include <boost/test/unit_test.hpp>
// `otasim run --target remote --listen HOST:PORT`: the reference device started by hand as a
// "remote" device. A reset script (what a device maker would write) factory-resets it from the
// provisioning bundle otasim writes before each scenario and starts its polling daemon in its
// own session; otasim only serves and watches. Verdicts come from what the device asked and
// reported; what otasim cannot drive is skipped with the reason; a silent device is an error.
// The keys come from `otasim keys generate --host HOST`, as a device maker would make them.

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "support/run_otasim.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using otasim::testing::OtasimRun;
using otasim::testing::RunOtasim;
using otasim::testing::RunOtasimCommand;
using otasim::testing::Slurp;
using otasim::testing::TempDir;

const std::string kRemoteProfile = std::string(OTASIM_SOURCE_DIR) + "/targets/profiles/remote.yaml";

// A port nobody listens on right now at `host` (the kernel's pick).
int FreePort(const std::string& host = "127.0.0.1") {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  BOOST_REQUIRE(inet_pton(AF_INET, host.c_str(), &address.sin_addr) == 1);
  address.sin_port = 0;
  BOOST_REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

// An IPv4 address of this machine that is not loopback, as a device on the network would
// poll; 127.0.0.2 (still not the default 127.0.0.1) on a machine without one.
std::string NetworkAddress() {
  ifaddrs* list = nullptr;
  std::string found = "127.0.0.2";
  if (getifaddrs(&list) != 0) return found;
  for (const ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    if ((a->ifa_flags & IFF_UP) == 0 || (a->ifa_flags & IFF_LOOPBACK) != 0) continue;
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr, text, sizeof text);
    found = text;
    break;
  }
  freeifaddrs(list);
  return found;
}

// The device maker's side: keys from `otasim keys generate`, and a reset script that brings
// the reference device back to the bundle's initial release and starts its daemon. The daemon
// is killed when the fixture ends, whatever the test did.
class RemoteDevice {
 public:
  // The server certificate names `host`, the address the device is told to poll.
  explicit RemoteDevice(const std::string& host = "127.0.0.1") : dir_("otasim-remote") {
    const OtasimRun keys = RunOtasimCommand(
        {"keys", "generate", "--out", (dir_.path() / "keys").string(), "--host", host});
    BOOST_REQUIRE_MESSAGE(keys.exit_code == 0, keys.output);
    const std::string d = dir_.path().string();
    const std::string bin = OTASIM_BIN_DIR;
    script_ = dir_.Write("reset.sh",
        "#!/bin/sh\n"
        "# $1: the bundle directory; $2: the device's flaws, if any\n"
        "D='" + d + "'\n"
        "FLAWS=${2:+--flaws $2}\n"
        "if [ -f \"$D/daemon.pid\" ]; then\n"
        "  PID=$(cat \"$D/daemon.pid\"); kill \"$PID\" 2>/dev/null\n"
        "  for i in $(seq 100); do kill -0 \"$PID\" 2>/dev/null || break; sleep 0.05; done\n"
        "fi\n"
        "rm -rf \"$D/state\" \"$D/daemon.log\"\n"
        "'" + bin + "/otasim-device' provision --state \"$D/state\" --config \"$1/config.json\" $FLAWS || exit 1\n"
        "setsid '" + bin + "/otasim-device' run --state \"$D/state\" --config \"$1/config.json\" $FLAWS \\\n"
        "  > \"$D/daemon.log\" 2>&1 < /dev/null &\n"
        "echo $! > \"$D/daemon.pid\"\n"
        "# otasim kills this script's process group when it exits: wait until the daemon runs.\n"
        "for i in $(seq 100); do grep -q 'run: polling' \"$D/daemon.log\" && exit 0; sleep 0.05; done\n"
        "echo 'the device daemon did not start' >&2; exit 1\n");
    fs::permissions(script_, fs::perms::owner_all);
  }

  ~RemoteDevice() {
    const std::string pid_text = Slurp(dir_.path() / "daemon.pid");
    const pid_t pid = pid_text.empty() ? 0 : static_cast<pid_t>(std::stol(pid_text));
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 100 && kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    kill(pid, SIGKILL);
  }

  std::string keys() const { return (dir_.path() / "keys").string(); }
  std::string Reset(const std::string& flaws = "") const {
    return script_.string() + " {bundle_dir}" + (flaws.empty() ? "" : " " + flaws);
  }
  std::string DaemonLog() const { return Slurp(dir_.path() / "daemon.log"); }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  fs::path script_;
};

OtasimRun RunRemote(const std::string& profile, const std::string& listen, const std::string& keys,
                    const std::string& reset, const std::vector<std::string>& scenarios,
                    const std::string& name, const std::string& protocol = "http") {
  std::vector<std::string> args = {"--target", profile, "--protocol", protocol, "--listen", listen,
                                   "--keys", keys, "--remote-reset", reset};
  for (const auto& s : scenarios) {
    args.push_back("--scenario");
    args.push_back(s);
  }
  return RunOtasim(args, name);
}

const nlohmann::json& Scenario(const OtasimRun& run, const std::string& id) {
  BOOST_REQUIRE_MESSAGE(run.report.is_object(), run.output);
  for (const auto& s : run.report.at("scenarios")) {
    if (s.at("id") == id) return s;
  }
  BOOST_FAIL("scenario " << id << " not in the report: " << run.output);
  return run.report;
}

std::string Verdict(const OtasimRun& run, const std::string& id) {
  return Scenario(run, id).at("verdict").get<std::string>();
}

std::string Reason(const OtasimRun& run, const std::string& id) {
  return Scenario(run, id).value("reason", std::string());
}

}  // namespace

BOOST_AUTO_TEST_CASE(secure_remote_device_passes_and_what_cannot_be_driven_is_skipped) {
  RemoteDevice device;
  const std::string listen = "127.0.0.1:" + std::to_string(FreePort());
  const OtasimRun run = RunRemote(kRemoteProfile, listen, device.keys(), device.Reset(),
                                  {"rollback/signed-older", "replay/same-manifest",
                                   "mix-and-match/swapped-image", "power-loss/before-commit",
                                   "tamper/image-bit-flip", "freeze/expired-manifest"},
                                  "secure");
  BOOST_TEST_MESSAGE(run.output);
  BOOST_TEST(run.exit_code == 0, run.output << "\ndaemon:\n" << device.DaemonLog());
  BOOST_TEST(Verdict(run, "rollback/signed-older") == "pass");
  BOOST_TEST(Verdict(run, "replay/same-manifest") == "pass");
  BOOST_TEST(Verdict(run, "mix-and-match/swapped-image") == "pass");
  BOOST_TEST(Verdict(run, "power-loss/before-commit") == "skip");
  BOOST_TEST(Reason(run, "power-loss/before-commit").find("cannot be power-cut") != std::string::npos);
  BOOST_TEST(Verdict(run, "tamper/image-bit-flip") == "skip");
  BOOST_TEST(Reason(run, "tamper/image-bit-flip").find("no boot verb") != std::string::npos);
  BOOST_TEST(Verdict(run, "freeze/expired-manifest") == "skip");
  BOOST_TEST(Reason(run, "freeze/expired-manifest").find("keeps its own") != std::string::npos);

  // The bundle names the fixed address and carries no clock; the evidence says whose word the
  // state is.
  const auto bundle = nlohmann::json::parse(Slurp(fs::path(run.out_dir) / "remote/bundle/config.json"));
  BOOST_TEST(bundle.at("endpoints").at("http").at("base_url").get<std::string>().find(listen) !=
             std::string::npos);
  BOOST_TEST(!bundle.contains("now"));
  BOOST_TEST(fs::exists(fs::path(run.out_dir) / "remote/bundle/vendor.pub.pem"));
  BOOST_TEST(Slurp(fs::path(run.out_dir) / "remote/bundle/vendor.pub.pem") ==
             Slurp(fs::path(device.keys()) / "vendor.pub.pem"));
  const std::string timeline =
      Slurp(fs::path(run.out_dir) / "evidence/rollback/signed-older@http/timeline.json");
  BOOST_TEST(timeline.find("\"observed_by\": \"device reports\"") != std::string::npos);
}

// A device on the network is provisioned once from the key directory: the server it polls at
// an address of this machine's network names that address, it presents the identity made for
// it, and `--rerun` serves it again the same way.
BOOST_AUTO_TEST_CASE(a_device_on_the_network_keeps_its_identity_and_a_rerun_repeats_the_run) {
  const std::string host = NetworkAddress();
  BOOST_TEST_MESSAGE("listening on " << host);
  RemoteDevice device(host);
  const std::string listen = host + ":" + std::to_string(FreePort(host));
  const OtasimRun run = RunRemote(kRemoteProfile, listen, device.keys(), device.Reset(),
                                  {"rollback/signed-older"}, "network");
  BOOST_TEST(run.exit_code == 0, run.output << "\ndaemon:\n" << device.DaemonLog());
  BOOST_TEST(Verdict(run, "rollback/signed-older") == "pass");

  const fs::path bundle = fs::path(run.out_dir) / "remote/bundle";
  const fs::path keys = device.keys();
  BOOST_TEST(Slurp(bundle / "device.pem") == Slurp(keys / "device.pem"));
  BOOST_TEST(Slurp(bundle / "ca.pem") == Slurp(keys / "tls-ca.cert.pem"));
  const auto exchanges = nlohmann::json::parse(
      Slurp(fs::path(run.out_dir) / "evidence/rollback/signed-older@http/exchanges.json"));
  BOOST_TEST(!exchanges.empty());
  for (const auto& exchange : exchanges) {
    BOOST_TEST(exchange.at("client_identity").get<std::string>() == "dev-0001", exchange.dump());
  }

  const nlohmann::json& recorded = run.report.at("reproduce").at("remote");
  BOOST_TEST(recorded.at("listen").get<std::string>() == listen);
  BOOST_TEST(fs::equivalent(recorded.at("keys").get<std::string>(), keys));
  BOOST_TEST(recorded.at("reset").get<std::string>() == device.Reset());
  const OtasimRun rerun = RunOtasimCommand({"run", "--rerun", run.out_dir}, 300);
  BOOST_TEST(rerun.exit_code == 0, rerun.output << "\ndaemon:\n" << device.DaemonLog());
  const auto again = nlohmann::json::parse(Slurp(run.out_dir + "-rerun/report.json"));
  BOOST_TEST(again.at("scenarios").at(0).at("verdict").get<std::string>() == "pass");
  BOOST_TEST(again.at("reproduce").at("remote") == recorded);
}

// --keys outside a remote run too: attackers that present a certificate from the CA the device
// trusts (a stolen CA key) are issued one from the key directory's CA.
BOOST_AUTO_TEST_CASE(attackers_get_certificates_from_the_key_directory_ca) {
  RemoteDevice device;  // its keys only
  const OtasimRun run = RunOtasim({"--target", "reference", "--protocol", "http", "--keys", device.keys(),
                                   "--scenario", "mitm/wrong-name", "--scenario", "redirect/other-location"},
                                  "genuine-ca");
  BOOST_TEST(run.exit_code == 0, run.output);
  BOOST_TEST(Verdict(run, "mitm/wrong-name") == "pass");
  BOOST_TEST(Verdict(run, "redirect/other-location") == "pass");
}

BOOST_AUTO_TEST_CASE(remote_device_that_skips_the_digest_check_fails_the_swapped_image) {
  RemoteDevice device;
  const std::string listen = "127.0.0.1:" + std::to_string(FreePort());
  const OtasimRun run = RunRemote(kRemoteProfile, listen, device.keys(), device.Reset("skip-digest"),
                                  {"mix-and-match/swapped-image", "rollback/signed-older"},
                                  "skip-digest");
  BOOST_TEST_MESSAGE(run.output);
  BOOST_TEST(run.exit_code == 1, run.output);
  BOOST_TEST(Verdict(run, "mix-and-match/swapped-image") == "fail");
  BOOST_TEST(Verdict(run, "rollback/signed-older") == "pass");
}

BOOST_AUTO_TEST_CASE(remote_device_over_coaps_on_the_fixed_port) {
  RemoteDevice device;
  const std::string listen = "127.0.0.1:" + std::to_string(FreePort());
  const OtasimRun run = RunRemote(kRemoteProfile, listen, device.keys(), device.Reset(),
                                  {"rollback/signed-older", "replay/same-manifest"}, "coap", "coap");
  BOOST_TEST(run.exit_code == 0, run.output << "\ndaemon:\n" << device.DaemonLog());
  BOOST_TEST(Verdict(run, "rollback/signed-older") == "pass");
  BOOST_TEST(Verdict(run, "replay/same-manifest") == "pass");
  const auto bundle = nlohmann::json::parse(Slurp(fs::path(run.out_dir) / "remote/bundle/config.json"));
  BOOST_TEST(bundle.at("endpoints").at("coap").at("base_uri").get<std::string>().find(listen) !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_device_that_never_polls_is_an_error_by_the_deadline) {
  RemoteDevice device;  // its keys only: nothing is started
  const TempDir dir("otasim-remote-silent");
  std::string profile = Slurp(kRemoteProfile);
  profile += "  check: 3s\n";  // under `timeouts:`, the last section of the profile
  const auto profile_file = dir.Write("remote-silent.yaml", profile);
  const std::string listen = "127.0.0.1:" + std::to_string(FreePort());
  const OtasimRun run = RunRemote(profile_file.string(), listen, device.keys(), "true",
                                  {"rollback/signed-older"}, "silent");
  BOOST_TEST(run.exit_code == 3, run.output);
  BOOST_TEST(Verdict(run, "rollback/signed-older") == "error");
  BOOST_TEST(Reason(run, "rollback/signed-older").find("did not poll within 3 s") != std::string::npos,
             Reason(run, "rollback/signed-older"));
}

BOOST_AUTO_TEST_CASE(listen_options_that_cannot_work_are_refused_before_any_session) {
  RemoteDevice device;
  const std::string port = std::to_string(FreePort());
  const auto refused = [](const std::vector<std::string>& args, const std::string& says) {
    std::vector<std::string> full = {"run"};
    full.insert(full.end(), args.begin(), args.end());
    const OtasimRun run = RunOtasimCommand(full);
    BOOST_TEST(run.exit_code == 2, run.output);
    BOOST_TEST(run.output.find(says) != std::string::npos, run.output);
  };
  refused({"--target", kRemoteProfile, "--scenario", "rollback/signed-older"}, "--listen HOST:PORT");
  refused({"--target", "reference", "--protocol", "mqtt", "--listen", "127.0.0.1:" + port,
           "--scenario", "rollback/signed-older"},
          "the broker is one private Mosquitto");
  // The generated server certificate names 127.0.0.1 and localhost only.
  refused({"--target", kRemoteProfile, "--listen", "192.0.2.7:" + port, "--keys", device.keys(),
           "--scenario", "rollback/signed-older"},
          "otasim keys generate --host 192.0.2.7");
  refused({"--target", kRemoteProfile, "--listen", "localhost:" + port, "--keys", device.keys(),
           "--scenario", "rollback/signed-older"},
          "HOST must be an IP address");
  refused({"--target", kRemoteProfile, "--listen", "127.0.0.1:" + port, "--keys",
           (device.dir().path() / "missing").string(), "--scenario", "rollback/signed-older"},
          "otasim keys generate");
}
