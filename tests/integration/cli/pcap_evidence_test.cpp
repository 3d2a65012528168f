#define BOOST_TEST_MODULE pcap_evidence
#include <boost/test/unit_test.hpp>

// The evidence capture as an analyst meets it: run the reference device, then read
// evidence/<scenario>@<protocol>/capture.pcapng with tshark and check that the device's requests
// and the server's answers are dissected, cuts show as TCP resets, nothing is malformed, and no
// key material is in the file.

#include <array>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "support/run_otasim.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs tshark on `file` (bounded by `timeout`), returns its standard output.
std::string Tshark(const fs::path& file, const std::string& arguments) {
  BOOST_REQUIRE_MESSAGE(std::system("command -v tshark >/dev/null 2>&1") == 0,
                        "tshark is not installed: these tests read the captures with it "
                        "(Debian package tshark, installed by scripts/setup)");
  const std::string command =
      "timeout 60 tshark -n -r " + ShellQuote(file.string()) + " " + arguments + " 2>/dev/null";
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  BOOST_REQUIRE_MESSAGE(pipe != nullptr, "cannot run " + command);
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  BOOST_REQUIRE_MESSAGE(status == 0, command + " failed (" + std::to_string(status) + "): " + output);
  return output;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

int Count(const std::vector<std::string>& lines, const std::string& part) {
  int n = 0;
  for (const auto& line : lines) n += Contains(line, part) ? 1 : 0;
  return n;
}

// Runs one scenario on one protocol and returns its capture (checked for the basics every
// capture must meet).
fs::path RunAndCapture(const std::string& scenario, const std::string& protocol) {
  const std::string name = "pcap-" + protocol + "-" + fs::path(scenario).filename().string();
  auto run = otasim::testing::RunOtasim(
      {"--target", "reference", "--protocol", protocol, "--scenario", scenario}, name);
  BOOST_REQUIRE_MESSAGE(run.report.is_object(), run.output);
  const auto& session = run.report.at("scenarios").at(0);
  BOOST_TEST(session.at("verdict").get<std::string>() == "pass", run.output);
  const fs::path capture =
      fs::path(run.out_dir) / session.at("evidence").get<std::string>() / "capture.pcapng";
  BOOST_REQUIRE_MESSAGE(fs::exists(capture), "no " + capture.string());

  BOOST_TEST(Tshark(capture, "-Y _ws.malformed").empty(), "malformed packets in " + capture.string());
  BOOST_TEST(Tshark(capture, "-Y _ws.expert.severity==error -T fields -e frame.number").empty(),
             "expert errors in " + capture.string());
  const std::string bytes = otasim::testing::Slurp(capture);
  BOOST_TEST(!Contains(bytes, "PRIVATE KEY"));
  BOOST_TEST(Contains(bytes, "otasim "));  // shb_userappl
  BOOST_TEST(Contains(bytes, scenario));   // the section comment
  return capture;
}

}  // namespace

BOOST_AUTO_TEST_CASE(http_baseline_requests_and_responses_are_dissected) {
  const fs::path capture = RunAndCapture("baseline/legitimate-update", "http");
  const auto requests = Lines(Tshark(capture, "-Y http.request -T fields -e http.request.method -e http.request.uri"));
  BOOST_TEST(Count(requests, "GET\t/dev-0001/manifest") >= 2);
  BOOST_TEST(Count(requests, "GET\t/dev-0001/images/v2.bin") == 1);
  BOOST_TEST(Count(requests, "GET\t/dev-0001/images/v3.bin") == 1);
  BOOST_TEST(Count(requests, "POST\t/dev-0001/status") >= 2);
  // 256 KiB images fit under the capture cap: every response is whole and dissected.
  const auto responses = Lines(Tshark(capture, "-Y http.response -T fields -e http.response.code -e http.content_type"));
  BOOST_TEST(Count(responses, "200\tapplication/json") >= 2);
  BOOST_TEST(Count(responses, "200\tapplication/octet-stream") == 2);
  BOOST_TEST(responses.size() == requests.size());
  const auto status_bodies = Tshark(capture, "-Y \"http.request.method==POST\" -T fields -e http.file_data");
  BOOST_TEST(Contains(status_bodies, "installed"), status_bodies);
  BOOST_TEST(Tshark(capture, "-Y tcp.flags.reset==1").empty());
}

BOOST_AUTO_TEST_CASE(http_cut_shows_as_a_reset_and_the_retry_completes) {
  const fs::path capture = RunAndCapture("interrupt/cut-mid-transfer", "http");
  const auto resets = Lines(Tshark(capture, "-Y tcp.flags.reset==1 -T fields -e tcp.srcport -e frame.comment"));
  BOOST_REQUIRE_EQUAL(resets.size(), 1u);
  BOOST_TEST(Contains(resets[0], "80\tconnection cut"));
  // A 1 MiB body passes the capture cap: with body reassembly off, Wireshark shows the
  // response heads of the cut transfer and of the retry.
  const auto images = Lines(Tshark(capture, "-o http.desegment_body:FALSE -Y \"http.response and http.content_type==\\\"application/octet-stream\\\"\" -T fields -e http.response.code -e http.content_length"));
  BOOST_TEST(images.size() >= 3u);
  BOOST_TEST(Count(images, "\t1048576") + Count(images, "206\t") >= 2);
  // The session noted the capture in its timeline.
  const std::string timeline = otasim::testing::Slurp(capture.parent_path() / "timeline.json");
  BOOST_TEST(Contains(timeline, "capture-closed"));
  BOOST_TEST(!Contains(timeline, "capture-error"));
}

BOOST_AUTO_TEST_CASE(coap_baseline_requests_and_responses_are_dissected) {
  const fs::path capture = RunAndCapture("baseline/legitimate-update", "coap");
  // Requests: method code (1 GET, 2 POST) and path; a CoAP response carries no path.
  const auto requests = Lines(Tshark(
      capture, "-Y \"coap.code < 32\" -T fields -e coap.code -e coap.opt.uri_path_recon -e coap.opt.block_number"));
  BOOST_TEST(Count(requests, "1\t/dev-0001/manifest") >= 2);
  BOOST_TEST(Count(requests, "1\t/dev-0001/images/v2.bin") >= 2);  // block-wise: many blocks
  BOOST_TEST(Count(requests, "1\t/dev-0001/images/v3.bin") >= 2);
  BOOST_TEST(Count(requests, "2\t/dev-0001/status") >= 2);
  // Responses: 2.05 Content (69) for the manifest and every image block (with Block2), 2.04
  // Changed (68) for the status reports; each request answered once.
  const auto responses = Lines(Tshark(
      capture, "-Y \"coap.code >= 64\" -T fields -e coap.code -e coap.opt.block_number -e coap.opt.ctype"));
  BOOST_TEST(responses.size() == requests.size());
  BOOST_TEST(Count(responses, "69\t0\tapplication/json") >= 2);  // the manifest, one block
  BOOST_TEST(Count(responses, "68\t\tapplication/json") >= 2);   // the LwM2M update result
  // 256 KiB images in 1 KiB blocks: 256 blocks each, the last with the "more" flag off.
  const auto image_blocks = Lines(Tshark(
      capture, "-Y \"coap.code == 69 and coap.opt.block_number\" -T fields -e coap.opt.block_mflag"));
  BOOST_TEST(image_blocks.size() >= 512u);
  const auto last_blocks = Lines(Tshark(
      capture, "-Y \"coap.code == 69 and coap.opt.block_number == 255 and coap.opt.block_mflag == 0\""));
  BOOST_TEST(last_blocks.size() == 2u);
  // The status reports' JSON is dissected from the decrypted payload.
  const auto status_bodies = Tshark(capture, "-Y \"coap.code == 2\" -T fields -e json.value.string");
  BOOST_TEST(Contains(status_bodies, "installed"), status_bodies);
  // One flow per device endpoint, its first datagram naming the real one.
  const auto comments = Tshark(capture, "-Y frame.comment -T fields -e frame.comment");
  BOOST_TEST(Contains(comments, "server.coap-poll: device 127.0.0.1:"), comments);
}

BOOST_AUTO_TEST_CASE(mqtt_baseline_publishes_are_dissected) {
  const fs::path capture = RunAndCapture("baseline/legitimate-update", "mqtt");
  // PUBLISH (message type 3): the job and the image stream to the device, status from it.
  const auto publishes = Lines(Tshark(capture, "-Y \"mqtt.msgtype == 3\" -T fields -e tcp.srcport -e mqtt.topic"));
  BOOST_TEST(Count(publishes, "/jobs/notify") >= 2);
  BOOST_TEST(Count(publishes, "/stream/v2.bin/") >= 8);  // 256 KiB in chunks of 32 KiB
  BOOST_TEST(Count(publishes, "/stream/v3.bin/") >= 8);
  int status = 0;
  for (const auto& line : publishes) {
    if (Contains(line, "/status") && !Contains(line, "1883\t")) ++status;  // from the device
  }
  BOOST_TEST(status >= 2);
  // The status payloads (shown as hex): "installed".
  const auto status_bodies = Tshark(capture, "-Y \"mqtt.topic contains \\\"/status\\\"\" -T fields -e mqtt.msg");
  BOOST_TEST(Contains(status_bodies, "696e7374616c6c6564"), status_bodies);
  const auto connects = Lines(Tshark(capture, "-Y \"mqtt.msgtype == 1 or mqtt.msgtype == 2\""));
  BOOST_TEST(connects.size() == 2u);
}

BOOST_AUTO_TEST_CASE(coap_cut_shows_as_an_empty_ack_and_the_retry_completes) {
  const fs::path capture = RunAndCapture("interrupt/cut-mid-transfer", "coap");
  // The cut block request is answered only by libcoap's empty ACK (code 0.00); a retransmission
  // of it, if the loaded machine caused one, gets another.
  const auto empty_acks = Lines(Tshark(capture, "-Y \"coap.code == 0\" -T fields -e coap.type"));
  BOOST_REQUIRE(!empty_acks.empty());
  for (const auto& type : empty_acks) BOOST_TEST(type == "2");  // ACK
  // The retry ends the 1 MiB image: block 1023 without the "more" flag.
  const auto last = Lines(Tshark(
      capture, "-Y \"coap.code == 69 and coap.opt.block_mflag == 0\" -T fields -e coap.opt.block_number"));
  BOOST_TEST(Count(last, "1023") == 1);
}
