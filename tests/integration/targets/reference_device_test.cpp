#define BOOST_TEST_MODULE reference_device
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "device_harness.hpp"

using namespace device_test;

namespace {

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void CheckLastStatus(DeviceFixture& f, const std::string& result, const std::string& reason,
                     int code) {
  const auto statuses = f.Statuses();
  BOOST_REQUIRE(!statuses.empty());
  const json& last = statuses.back();
  BOOST_TEST(last.value("device_id", "") == "dev-0001");
  BOOST_TEST(last.value("result", "") == result);
  BOOST_TEST(last.value("reason", "") == reason);
  BOOST_TEST(last.value("code", -1) == code);
}

void CheckRunning(const json& state, const std::string& version, const std::string& slot) {
  BOOST_REQUIRE(state["running"].is_object());
  BOOST_TEST(state["running"]["version"].get<std::string>() == version);
  BOOST_TEST(state["running"]["slot"].get<std::string>() == slot);
  BOOST_TEST(state["bootable"].get<bool>());
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(reference_device, DeviceFixture)

// ---- the secure device ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(legit_update_installs_into_the_other_slot) {
  Provision(v1());
  json state = State();
  CheckRunning(state, "1.0.0", "A");
  BOOST_TEST(state["contract"].get<std::string>() == "otasim-target/1");
  BOOST_TEST(state["counter"].get<int>() == 1);
  BOOST_TEST(state["installs"].get<int>() == 0);

  Offer(v2());
  const auto check = Device("check");
  BOOST_TEST(check.exit_code == 0);
  state = State();
  CheckRunning(state, "2.0.0", "B");
  BOOST_TEST(state["counter"].get<int>() == 2);
  BOOST_TEST(state["installs"].get<int>() == 1);
  BOOST_TEST(state["last_result"].get<std::string>() == "installed");
  BOOST_TEST(state["last_reason"].get<std::string>() == "none");
  BOOST_TEST(state["slots"][1]["digest"].get<std::string>() == v2().digest);
  BOOST_TEST(state["slots"][0]["valid"].get<bool>());  // the old slot stays as a fallback
  CheckLastStatus(*this, "installed", "none", 0);
  BOOST_TEST(Statuses().back().value("version", "") == "2.0.0");
  BOOST_TEST(Statuses().back().value("sequence", 0) == 2);
  BOOST_TEST(Device("boot").exit_code == 0);
}

BOOST_AUTO_TEST_CASE(nothing_offered_is_no_update_without_report) {
  Provision(v1());
  const auto check = Device("check");
  BOOST_TEST(check.exit_code == 10);
  BOOST_TEST(Statuses().empty());
  BOOST_TEST(State()["last_result"].get<std::string>() == "no-update");
}

BOOST_AUTO_TEST_CASE(replay_is_no_update_and_downloads_nothing) {
  Provision(v1());
  Offer(v2());
  BOOST_REQUIRE_EQUAL(Device("check").exit_code, 0);
  const auto images_before = ImageRequests().size();
  const auto statuses_before = Statuses().size();

  const auto replay = Device("check");
  BOOST_TEST(replay.exit_code == 10);
  BOOST_TEST(ImageRequests().size() == images_before);
  BOOST_TEST(Statuses().size() == statuses_before);
  const json state = State();
  CheckRunning(state, "2.0.0", "B");
  BOOST_TEST(state["installs"].get<int>() == 1);
  BOOST_TEST(state["counter"].get<int>() == 2);
  BOOST_TEST(state["last_result"].get<std::string>() == "no-update");
  BOOST_TEST(state["last_reason"].get<std::string>() == "replay");
}

BOOST_AUTO_TEST_CASE(rollback_is_rejected) {
  Provision(v2());
  Offer(v1());
  const auto check = Device("check");
  BOOST_TEST(check.exit_code == 20);
  BOOST_TEST(Contains(check.err, "rollback"));
  BOOST_TEST(ImageRequests().empty());
  const json state = State();
  CheckRunning(state, "2.0.0", "A");
  BOOST_TEST(state["last_reason"].get<std::string>() == "rollback");
  CheckLastStatus(*this, "rejected", "rollback", 20);
  BOOST_TEST(Statuses().back().value("sequence", 0) == 1);
}

BOOST_AUTO_TEST_CASE(rogue_key_is_rejected) {
  Provision(v1());
  ReleaseOptions rogue;
  rogue.key = &rogue_key();
  Offer(MakeRelease("evil", "6.6.6", 66, RandomBytes(kImageBytes, 66), rogue));
  BOOST_TEST(Device("check").exit_code == 20);
  BOOST_TEST(ImageRequests().empty());
  CheckRunning(State(), "1.0.0", "A");
  CheckLastStatus(*this, "rejected", "signature", 20);
}

BOOST_AUTO_TEST_CASE(bit_flipped_image_is_rejected_and_old_version_still_boots) {
  Provision(v1());
  Offer(v2());
  ServeInstead(v2(), FlipBit(Slurp(v2().image), 1000));
  BOOST_TEST(Device("check").exit_code == 20);
  CheckLastStatus(*this, "rejected", "digest", 20);
  const json state = State();
  CheckRunning(state, "1.0.0", "A");
  BOOST_TEST(state["last_reason"].get<std::string>() == "digest");
  BOOST_TEST(Device("boot").exit_code == 0);
}

BOOST_AUTO_TEST_CASE(extra_bytes_with_content_length_are_rejected) {
  Provision(v1());
  Offer(v2());
  ServeInstead(v2(), Slurp(v2().image) + std::string(4096, 'x'));
  const auto check = Device("check");
  BOOST_TEST(check.exit_code == 20);
  BOOST_TEST(Contains(check.err, "refused before reading the body"));
  CheckLastStatus(*this, "rejected", "size", 20);
  CheckRunning(State(), "1.0.0", "A");
}

BOOST_AUTO_TEST_CASE(short_content_length_is_rejected_before_reading_the_body) {
  Provision(v1());
  Offer(v2());
  const std::string image = Slurp(v2().image);
  ServeInstead(v2(), image.substr(0, image.size() - 1024));  // declares and sends 1 KiB less
  const auto check = Device("check");
  BOOST_TEST(check.exit_code == 20);
  // The refusal comes from the header check, which runs before the first body byte is read.
  BOOST_TEST(Contains(check.err, "Content-Length " + std::to_string(image.size() - 1024)));
  BOOST_TEST(Contains(check.err, "refused before reading the body"));
  CheckLastStatus(*this, "rejected", "size", 20);
  CheckRunning(State(), "1.0.0", "A");
  BOOST_TEST(!fs::exists(state_dir() / "download/image.part"));
  BOOST_TEST(Device("boot").exit_code == 0);
}

BOOST_AUTO_TEST_CASE(ignored_range_restarts_the_download_from_byte_0) {
  Provision(v1());
  Offer(v2());
  CutNextImageAfter(100000);
  BOOST_REQUIRE_EQUAL(Device("check").exit_code, 30);
  IgnoreRange(true);  // the resume is answered with 200 and the whole image
  const auto check = Device("check");
  BOOST_TEST(check.exit_code == 0);
  BOOST_TEST(Contains(check.err, "restarting from byte 0"));
  const auto images = ImageRequests();
  BOOST_REQUIRE_EQUAL(images.size(), 3u);
  BOOST_TEST(images[1].range.rfind("bytes=", 0) == 0);
  BOOST_TEST(images[2].range.empty());
  const json state = State();
  CheckRunning(state, "2.0.0", "B");
  BOOST_TEST(state["slots"][1]["digest"].get<std::string>() == v2().digest);
}

BOOST_AUTO_TEST_CASE(endless_body_is_rejected_at_the_first_extra_byte) {
  Provision(v1());
  Offer(v2());
  SetImageBody(ImageBody::kEndless);  // no Content-Length, never ends
  const auto check = Device("check");
  BOOST_TEST(check.exit_code == 20);
  CheckLastStatus(*this, "rejected", "size", 20);
  const auto body = WaitImageBody(0);
  BOOST_REQUIRE(body.has_value());
  BOOST_TEST(http::BodyEndName(body->end) != "complete");
}

BOOST_AUTO_TEST_CASE(image_size_over_the_limit_is_rejected_before_download) {
  Provision(v1());
  Config()["limits"]["max_image_bytes"] = 1024;
  SaveConfig();
  Offer(v2());
  BOOST_TEST(Device("check").exit_code == 20);
  BOOST_TEST(ImageRequests().empty());
  CheckLastStatus(*this, "rejected", "size", 20);
}

BOOST_AUTO_TEST_CASE(cut_connection_fails_then_resumes_with_range) {
  Provision(v1());
  Offer(v2());
  CutNextImageAfter(100000);
  const auto first = Device("check");
  BOOST_TEST(first.exit_code == 30);
  CheckLastStatus(*this, "failed", "interrupted", 30);
  BOOST_TEST(State()["last_reason"].get<std::string>() == "interrupted");

  const auto second = Device("check");
  BOOST_TEST(second.exit_code == 0);
  const auto images = ImageRequests();
  BOOST_REQUIRE_EQUAL(images.size(), 2u);
  BOOST_TEST(images[0].range.empty());
  BOOST_TEST(images[1].range.rfind("bytes=", 0) == 0);
  const auto resumed_at = std::stoull(images[1].range.substr(6));
  BOOST_TEST(resumed_at > 0u);
  BOOST_TEST(resumed_at <= 100000u);
  const json state = State();
  CheckRunning(state, "2.0.0", "B");
  BOOST_TEST(state["slots"][1]["digest"].get<std::string>() == v2().digest);
}

BOOST_AUTO_TEST_CASE(resume_rehashes_the_bytes_on_disk) {
  Provision(v1());
  Offer(v2());
  CutNextImageAfter(100000);
  BOOST_REQUIRE_EQUAL(Device("check").exit_code, 30);
  // Storage corrupted while the device was off: the resume must not trust a remembered hash.
  const fs::path part = state_dir() / "download/image.part";
  BOOST_REQUIRE(fs::exists(part));
  std::string bytes = Slurp(part);
  bytes[10] = static_cast<char>(bytes[10] ^ 0x80);
  WriteText(part, bytes);
  BOOST_TEST(Device("check").exit_code == 20);
  CheckLastStatus(*this, "rejected", "digest", 20);
  // The rejected download is dropped: the next attempt starts from the beginning and installs.
  BOOST_TEST(Device("check").exit_code == 0);
  BOOST_TEST(ImageRequests().back().range.empty());
}

BOOST_AUTO_TEST_CASE(expired_manifest_is_rejected) {
  Provision(v1());
  Config()["now"] = "2026-12-01T00:00:00Z";
  SaveConfig();
  Offer(v2());
  BOOST_TEST(Device("check").exit_code == 20);
  CheckLastStatus(*this, "rejected", "expired", 20);
  BOOST_TEST(ImageRequests().empty());
}

BOOST_AUTO_TEST_CASE(wrong_class_is_rejected) {
  Provision(v1());
  ReleaseOptions other;
  other.class_id = "otasim-class-b";
  Offer(MakeRelease("v3b", "3.0.0", 3, RandomBytes(kImageBytes, 3), other));
  BOOST_TEST(Device("check").exit_code == 20);
  CheckLastStatus(*this, "rejected", "class", 20);
}

BOOST_AUTO_TEST_CASE(power_cut_during_download_keeps_the_old_version) {
  Provision(v1());
  Offer(v2());
  const auto cut = Device("check", "", {"OTASIM_POWER_CUT=download:50"});
  BOOST_TEST(cut.signal == SIGKILL);
  BOOST_TEST(Device("boot").exit_code == 0);
  CheckRunning(State(), "1.0.0", "A");
  // After the power comes back, the download resumes where the synced bytes end.
  BOOST_TEST(Device("check").exit_code == 0);
  const auto images = ImageRequests();
  BOOST_REQUIRE_EQUAL(images.size(), 2u);
  BOOST_TEST(images[1].range.rfind("bytes=", 0) == 0);
  CheckRunning(State(), "2.0.0", "B");
}

BOOST_AUTO_TEST_CASE(power_cut_before_commit_keeps_the_old_version) {
  Provision(v1());
  Offer(v2());
  for (const char* cut : {"OTASIM_POWER_CUT=install:50", "OTASIM_POWER_CUT=commit:0"}) {
    BOOST_TEST_CONTEXT(cut) {
      BOOST_TEST(Device("check", "", {cut}).signal == SIGKILL);
      BOOST_TEST(Device("boot").exit_code == 0);
      const json state = State();
      CheckRunning(state, "1.0.0", "A");
      BOOST_TEST(state["counter"].get<int>() == 1);
    }
  }
  BOOST_TEST(Device("check").exit_code == 0);
  CheckRunning(State(), "2.0.0", "B");
}

BOOST_AUTO_TEST_CASE(boot_falls_back_when_the_boot_slot_is_corrupt) {
  Provision(v1());
  Offer(v2());
  BOOST_REQUIRE_EQUAL(Device("check").exit_code, 0);
  const fs::path slot_b = state_dir() / "slots/B.img";
  WriteText(slot_b, FlipBit(Slurp(slot_b), 5));
  json state = State();
  CheckRunning(state, "1.0.0", "A");
  BOOST_TEST(!state["slots"][1]["valid"].get<bool>());
  BOOST_TEST(Device("boot").exit_code == 0);
  CheckRunning(State(), "1.0.0", "A");
  // The anti-rollback counter survives the fallback: v2 offered again is a replay.
  BOOST_TEST(State()["counter"].get<int>() == 2);
}

BOOST_AUTO_TEST_CASE(wrong_server_ca_fails_with_tls) {
  Provision(v1());
  auto other_ca = Must(crypto::CertificateAuthority::Create("someone else"), "CA");
  WriteText(root() / "other-ca.pem", other_ca.cert_pem());
  Config()["tls"]["ca_file"] = (root() / "other-ca.pem").string();
  SaveConfig();
  Offer(v2());
  BOOST_TEST(Device("check").exit_code == 30);
  BOOST_TEST(State()["last_reason"].get<std::string>() == "tls");
}

BOOST_AUTO_TEST_CASE(silent_server_times_out_per_step) {
  Provision(v1());
  // A listener nobody serves: the kernel completes the TCP handshake, then nothing is said.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  BOOST_REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(addr);
  BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  BOOST_REQUIRE(::listen(fd, 8) == 0);
  BOOST_REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0);
  Config()["endpoints"]["http"]["base_url"] =
      "https://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/dev-0001";
  Config()["limits"]["timeout_ms"] = 300;
  SaveConfig();
  const auto start = std::chrono::steady_clock::now();
  const auto check = Device("check");
  ::close(fd);
  BOOST_TEST(check.exit_code == 30);
  BOOST_TEST((std::chrono::steady_clock::now() - start < 10s));
  BOOST_TEST(State()["last_reason"].get<std::string>() == "timeout");
}

BOOST_AUTO_TEST_CASE(run_polls_until_sigterm) {
  Provision(v1());
  Offer(v2());
  auto daemon = StartDevice("run");
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (Statuses().empty() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(20ms);
  }
  BOOST_REQUIRE(!Statuses().empty());
  // Keep polling: the replays that follow are no-updates.
  const auto polls = Requests().size();
  while (Requests().size() < polls + 2 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(20ms);
  }
  daemon->Signal(SIGTERM);
  const auto result = daemon->Wait(10s);
  BOOST_TEST(!result.timed_out);
  BOOST_TEST(result.exit_code == 0);
  CheckLastStatus(*this, "installed", "none", 0);
  BOOST_TEST(State()["installs"].get<int>() == 1);
}

// ---- usage and configuration ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(bad_config_names_the_field) {
  Config()["limits"]["timeout_ms"] = "soon";
  SaveConfig();
  const auto result = Device("provision");
  BOOST_TEST(result.exit_code == 2);
  BOOST_TEST(Contains(result.err, "limits.timeout_ms"));

  Config() = DefaultConfig();
  Config().erase("class_id");
  SaveConfig();
  const auto missing = Device("provision");
  BOOST_TEST(missing.exit_code == 2);
  BOOST_TEST(Contains(missing.err, "class_id"));
}

BOOST_AUTO_TEST_CASE(unknown_flaw_lists_the_known_ones) {
  const auto result = Device("state", "skip-signature,be-evil");
  BOOST_TEST(result.exit_code == 2);
  BOOST_TEST(Contains(result.err, "be-evil"));
  BOOST_TEST(Contains(result.err, "install-while-streaming"));
}

BOOST_AUTO_TEST_CASE(bad_power_cut_is_usage_error) {
  Provision(v1());
  BOOST_TEST(Device("check", "", {"OTASIM_POWER_CUT=later:5"}).exit_code == 2);
}

// ---- each flaw shows its defect --------------------------------------------------------------

BOOST_AUTO_TEST_CASE(flaw_skip_signature_installs_a_rogue_image) {
  const std::string flaws = "skip-signature";
  Provision(v1(), flaws);
  ReleaseOptions rogue;
  rogue.key = &rogue_key();
  Offer(MakeRelease("evil", "6.6.6", 66, RandomBytes(kImageBytes, 66), rogue));
  BOOST_TEST(Device("check", flaws).exit_code == 0);
  CheckRunning(State(flaws), "6.6.6", "B");
}

BOOST_AUTO_TEST_CASE(flaw_skip_digest_installs_a_tampered_image) {
  const std::string flaws = "skip-digest";
  Provision(v1(), flaws);
  Offer(v2());
  const std::string tampered = FlipBit(Slurp(v2().image), 1000);
  ServeInstead(v2(), tampered);
  BOOST_TEST(Device("check", flaws).exit_code == 0);
  const json state = State(flaws);
  CheckRunning(state, "2.0.0", "B");
  BOOST_TEST(state["slots"][1]["digest"].get<std::string>() != v2().digest);
}

BOOST_AUTO_TEST_CASE(flaw_no_size_check_reads_past_image_size) {
  const std::string flaws = "no-size-check";
  Provision(v1(), flaws);
  Offer(v2());
  const std::string padded = Slurp(v2().image) + std::string(1 << 20, 'x');
  ServeInstead(v2(), padded);
  SetImageBody(ImageBody::kUnknownLength);
  BOOST_TEST(Device("check", flaws).exit_code == 20);
  const auto body = WaitImageBody(0);
  BOOST_REQUIRE(body.has_value());
  BOOST_TEST(http::BodyEndName(body->end) == "complete");  // it consumed every extra byte
  BOOST_TEST(body->bytes_written == padded.size());
}

BOOST_AUTO_TEST_CASE(secure_device_stops_reading_past_image_size) {
  Provision(v1());
  Offer(v2());
  ServeInstead(v2(), Slurp(v2().image) + std::string(1 << 20, 'x'));
  SetImageBody(ImageBody::kUnknownLength);  // no Content-Length: only counting can tell
  const auto check = Device("check");
  BOOST_TEST(check.exit_code == 20);
  BOOST_TEST(Contains(check.err, "stopped reading"));
  CheckLastStatus(*this, "rejected", "size", 20);
  // (The server may still have written everything into the socket buffers: the endless-body
  // case is the one that shows the device stops reading.)
}

BOOST_AUTO_TEST_CASE(flaw_no_rollback_check_installs_an_older_release) {
  const std::string flaws = "no-rollback-check";
  Provision(v2(), flaws);
  Offer(v1());
  BOOST_TEST(Device("check", flaws).exit_code == 0);
  CheckRunning(State(flaws), "1.0.0", "B");
}

BOOST_AUTO_TEST_CASE(flaw_no_replay_check_installs_again) {
  const std::string flaws = "no-replay-check";
  Provision(v1(), flaws);
  Offer(v2());
  BOOST_TEST(Device("check", flaws).exit_code == 0);
  BOOST_TEST(Device("check", flaws).exit_code == 0);
  const json state = State(flaws);
  BOOST_TEST(state["installs"].get<int>() == 2);
  BOOST_TEST(ImageRequests().size() == 2u);
}

BOOST_AUTO_TEST_CASE(flaw_no_expiry_check_installs_an_expired_release) {
  const std::string flaws = "no-expiry-check";
  Provision(v1(), flaws);
  Config()["now"] = "2026-12-01T00:00:00Z";
  SaveConfig();
  Offer(v2());
  BOOST_TEST(Device("check", flaws).exit_code == 0);
}

BOOST_AUTO_TEST_CASE(flaw_no_class_check_installs_another_class) {
  const std::string flaws = "no-class-check";
  Provision(v1(), flaws);
  ReleaseOptions other;
  other.class_id = "otasim-class-b";
  Offer(MakeRelease("v3b", "3.0.0", 3, RandomBytes(kImageBytes, 3), other));
  BOOST_TEST(Device("check", flaws).exit_code == 0);
  CheckRunning(State(flaws), "3.0.0", "B");
}

BOOST_AUTO_TEST_CASE(flaw_install_while_streaming_bricks_on_a_bad_image) {
  const std::string flaws = "install-while-streaming";
  Provision(v1(), flaws);
  Offer(v2());
  // The right length: the body streams over the running slot before the digest can refuse it.
  ServeInstead(v2(), FlipBit(Slurp(v2().image), 1000));
  BOOST_TEST(Device("check", flaws).exit_code == 20);
  CheckLastStatus(*this, "rejected", "digest", 20);
  const json state = State(flaws);
  BOOST_TEST(!state["bootable"].get<bool>());
  BOOST_TEST(state["slots"][0]["digest"].get<std::string>() != v1().digest);
  BOOST_TEST(Device("boot", flaws).exit_code == 1);
}

BOOST_AUTO_TEST_CASE(flaw_install_while_streaming_still_refuses_a_wrong_length_unread) {
  // The flaw writes the body over the running slot, but a Content-Length that disagrees with
  // the manifest is refused on the header, before any body byte reaches the slot.
  const std::string flaws = "install-while-streaming";
  Provision(v1(), flaws);
  Offer(v2());
  const std::string image = Slurp(v2().image);
  constexpr std::uint64_t kExtra = 64ull << 20;

  AppendToImages(kExtra);  // too long: announces the image plus 64 MiB
  const auto too_long = Device("check", flaws);
  BOOST_TEST(too_long.exit_code == 20);
  BOOST_TEST(Contains(too_long.err, "refused before reading the body"));
  CheckLastStatus(*this, "rejected", "size", 20);
  const auto body = WaitImageBody(0);
  BOOST_REQUIRE(body.has_value());
  BOOST_TEST(http::BodyEndName(body->end) == "peer-gone", body->detail);
  // Only what fitted into the socket buffers before the device hung up.
  BOOST_TEST(body->bytes_written < 16ull << 20);
  AppendToImages(0);

  ServeInstead(v2(), image.substr(0, image.size() - 1024));  // too short: 1 KiB missing
  const auto too_short = Device("check", flaws);
  BOOST_TEST(too_short.exit_code == 20);
  BOOST_TEST(Contains(too_short.err, "refused before reading the body"));
  CheckLastStatus(*this, "rejected", "size", 20);

  const json state = State(flaws);
  CheckRunning(state, "1.0.0", "A");
  BOOST_TEST(state["slots"][0]["digest"].get<std::string>() == v1().digest);
  BOOST_TEST(state["installs"].get<int>() == 0);
  BOOST_TEST(Device("boot", flaws).exit_code == 0);
}

BOOST_AUTO_TEST_CASE(flaw_single_slot_bricks_on_power_cut_during_install) {
  const std::string flaws = "single-slot";
  Provision(v1(), flaws);
  Offer(v2());
  BOOST_TEST(Device("check", flaws, {"OTASIM_POWER_CUT=install:50"}).signal == SIGKILL);
  BOOST_TEST(Device("boot", flaws).exit_code == 1);
  BOOST_TEST(!State(flaws)["bootable"].get<bool>());
}

BOOST_AUTO_TEST_CASE(flaw_single_slot_installs_over_slot_a) {
  const std::string flaws = "single-slot";
  Provision(v1(), flaws);
  Offer(v2());
  BOOST_TEST(Device("check", flaws).exit_code == 0);
  CheckRunning(State(flaws), "2.0.0", "A");
}

BOOST_AUTO_TEST_CASE(flaw_no_status_report_sends_nothing) {
  const std::string flaws = "no-status-report";
  Provision(v1(), flaws);
  Offer(v2());
  BOOST_TEST(Device("check", flaws).exit_code == 0);
  BOOST_TEST(Statuses().empty());
}

BOOST_AUTO_TEST_CASE(flaw_reject_all_rejects_a_legit_update) {
  const std::string flaws = "reject-all";
  Provision(v1(), flaws);
  Offer(v2());
  BOOST_TEST(Device("check", flaws).exit_code == 20);
  CheckLastStatus(*this, "rejected", "signature", 20);
  CheckRunning(State(flaws), "1.0.0", "A");
}

BOOST_AUTO_TEST_SUITE_END()
