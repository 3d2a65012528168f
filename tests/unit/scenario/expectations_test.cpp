#define BOOST_TEST_MODULE scenario_expectations
#include <boost/test/unit_test.hpp>

#include <map>
#include <string>
#include <vector>

#include "scenario/expectations.hpp"

using namespace otasim;
using namespace otasim::scenario;
using nlohmann::json;

namespace {

Release MakeRelease(const std::string& name, const std::string& version, std::uint64_t sequence,
                    std::uint64_t size) {
  Release r;
  r.name = name;
  r.manifest.version = version;
  r.manifest.sequence = sequence;
  r.manifest.image.size = size;
  r.image_file = name + ".bin";
  return r;
}

const std::map<std::string, Release>& Releases() {
  static const std::map<std::string, Release> releases = {
      {"v1", MakeRelease("v1", "1.0.0", 1, 1000)},
      {"v2", MakeRelease("v2", "2.0.0", 2, 2000)},
      {"v3", MakeRelease("v3", "3.0.0", 3, 3000)}};
  return releases;
}

// Device states are parsed from the device's output, as the session does.
json State(const std::string& text) { return json::parse(text); }

StatusReport Report(const std::string& result, const std::string& reason) {
  StatusReport r;
  r.result = result;
  r.reason = reason;
  return r;
}

Exchange Image(const std::string& release, std::uint64_t range_start, std::uint64_t bytes_sent,
               int status = 200) {
  Exchange e;
  e.protocol = "http";
  e.kind = "image";
  e.method = "GET";
  e.resource = "/images/" + release + ".bin";
  e.status = status;
  e.range_start = range_start;
  e.bytes_sent = bytes_sent;
  e.end = "complete";
  e.release = release;
  return e;
}

Exchange Manifest(const std::string& release) {
  Exchange e = Image(release, 0, 400);
  e.kind = "manifest";
  e.resource = "/manifest";
  return e;
}

// Evaluates and returns the single check of that name (the test fails if there is not one).
scoring::CheckResult Only(const Expectations& expect, const StepObservation& seen,
                          const std::string& name) {
  auto checks = EvaluateExpectations(expect, seen, Releases());
  BOOST_REQUIRE_EQUAL(checks.size(), 1u);
  BOOST_REQUIRE_EQUAL(checks[0].name, name);
  BOOST_TEST_MESSAGE(name << ": expected '" << checks[0].expected << "', observed '"
                          << checks[0].observed << "' via " << checks[0].channel << " → "
                          << (checks[0].ok ? "ok" : "FAIL"));
  return checks[0];
}

}  // namespace

BOOST_AUTO_TEST_SUITE(expectation_tests)

BOOST_AUTO_TEST_CASE(nothing_expected_nothing_checked) {
  StepObservation seen;
  seen.exchanges = {Image("v2", 0, 2000)};
  seen.reports = {Report("installed", "")};
  BOOST_TEST(EvaluateExpectations(Expectations{}, seen, Releases()).empty());
}

BOOST_AUTO_TEST_CASE(outcome_is_any_of_the_list_on_the_verb_channel) {
  Expectations x;
  x.outcome = {Outcome::kRejected, Outcome::kFailed};
  StepObservation seen;
  seen.outcome_detail = "exit 20";
  for (Outcome o : {Outcome::kRejected, Outcome::kFailed}) {
    seen.outcome = o;
    auto check = Only(x, seen, "outcome");
    BOOST_TEST(check.ok);
    BOOST_TEST(check.channel == "verb");
  }
  for (Outcome o : {Outcome::kInstalled, Outcome::kNoUpdate, Outcome::kError, Outcome::kBricked}) {
    seen.outcome = o;
    auto check = Only(x, seen, "outcome");
    BOOST_TEST(!check.ok, OutcomeName(o));
    BOOST_TEST(check.channel == "verb");
    BOOST_TEST(check.observed.find("exit 20") != std::string::npos);
  }
  BOOST_TEST(Only(x, seen, "outcome").expected == "rejected or failed");
}

BOOST_AUTO_TEST_CASE(reason_is_the_device_last_reason) {
  Expectations x;
  x.reason = {"rollback", "replay"};
  StepObservation seen;
  seen.state_after = State(R"({"last_reason": "replay"})");
  auto ok = Only(x, seen, "reason");
  BOOST_TEST(ok.ok);
  BOOST_TEST(ok.channel == "state");
  seen.state_after = State(R"({"last_reason": "digest"})");
  BOOST_TEST(!Only(x, seen, "reason").ok);
  seen.state_after = State(R"({})");
  auto absent = Only(x, seen, "reason");
  BOOST_TEST(!absent.ok);
  BOOST_TEST(absent.observed == "(absent)");
  // The reason before the step does not count.
  seen.state_before = State(R"({"last_reason": "rollback"})");
  BOOST_TEST(!Only(x, seen, "reason").ok);
}

BOOST_AUTO_TEST_CASE(running_needs_version_and_sequence) {
  Expectations x;
  x.running = "v2";
  StepObservation seen;
  seen.state_after = State(R"({"running": {"version": "2.0.0", "sequence": 2}})");
  auto ok = Only(x, seen, "running");
  BOOST_TEST(ok.ok);
  BOOST_TEST(ok.channel == "state");
  BOOST_TEST(ok.expected == "v2 (2.0.0, sequence 2)");

  for (const char* wrong : {R"({"running": {"version": "2.0.0", "sequence": 3}})",
                            R"({"running": {"version": "3.0.0", "sequence": 2}})",
                            R"({"running": {"version": "2.0.0"}})",
                            R"({"running": {"version": "2.0.0", "sequence": "2"}})",
                            R"({"running": {"version": "2.0.0", "sequence": -2}})",
                            R"({"running": {}})", R"({"running": null})",
                            R"({"running": "v2"})", R"({})"}) {
    seen.state_after = State(wrong);
    auto check = Only(x, seen, "running");
    BOOST_TEST(!check.ok, wrong);
    BOOST_TEST(check.channel == "state");
  }
  seen.state_after = State(R"({})");
  BOOST_TEST(Only(x, seen, "running").observed == "(nothing running)");
}

BOOST_AUTO_TEST_CASE(bootable_absent_fails) {
  Expectations x;
  x.bootable = true;
  StepObservation seen;
  seen.state_after = State(R"({"bootable": true})");
  auto ok = Only(x, seen, "bootable");
  BOOST_TEST(ok.ok);
  BOOST_TEST(ok.channel == "state");
  seen.state_after = State(R"({"bootable": false})");
  BOOST_TEST(!Only(x, seen, "bootable").ok);
  seen.state_after = State(R"({"bootable": "true"})");
  BOOST_TEST(!Only(x, seen, "bootable").ok);
  seen.state_after = State(R"({})");
  auto absent = Only(x, seen, "bootable");
  BOOST_TEST(!absent.ok);
  BOOST_TEST(absent.observed == "(absent)");

  x.bootable = false;
  seen.state_after = State(R"({"bootable": false})");
  BOOST_TEST(Only(x, seen, "bootable").ok);
  seen.state_after = State(R"({})");
  BOOST_TEST(!Only(x, seen, "bootable").ok, "absent is not false");
}

BOOST_AUTO_TEST_CASE(installs_is_a_delta_of_the_install_count) {
  Expectations x;
  x.installs_delta = 1;
  StepObservation seen;
  seen.state_before = State(R"({"installs": 3})");
  seen.state_after = State(R"({"installs": 4})");
  auto ok = Only(x, seen, "installs");
  BOOST_TEST(ok.ok);
  BOOST_TEST(ok.channel == "state");
  BOOST_TEST(ok.expected == "+1");

  seen.state_after = State(R"({"installs": 5})");
  BOOST_TEST(!Only(x, seen, "installs").ok);
  seen.state_after = State(R"({"installs": 3})");
  BOOST_TEST(!Only(x, seen, "installs").ok);

  x.installs_delta = 0;
  auto unchanged = Only(x, seen, "installs");
  BOOST_TEST(unchanged.ok);
  BOOST_TEST(unchanged.expected == "unchanged");
  seen.state_after = State(R"({"installs": 2})");  // went down
  BOOST_TEST(!Only(x, seen, "installs").ok);

  // A missing count, before or after, cannot prove anything.
  seen.state_before = State(R"({})");
  seen.state_after = State(R"({"installs": 3})");
  BOOST_TEST(!Only(x, seen, "installs").ok);
  seen.state_before = State(R"({"installs": 3})");
  seen.state_after = State(R"({"installs": "3"})");
  auto missing = Only(x, seen, "installs");
  BOOST_TEST(!missing.ok);
  BOOST_TEST(missing.channel == "state");
}

BOOST_AUTO_TEST_CASE(status_report_none) {
  Expectations x;
  x.status_report = StatusExpectation{.none = true};
  StepObservation seen;
  auto ok = Only(x, seen, "status_report");
  BOOST_TEST(ok.ok);
  BOOST_TEST(ok.channel == "server");
  seen.reports = {Report("rejected", "digest")};
  BOOST_TEST(!Only(x, seen, "status_report").ok);
}

BOOST_AUTO_TEST_CASE(status_report_explicit_result_and_reason) {
  Expectations x;
  x.status_report = StatusExpectation{.results = {"rejected"}, .reasons = {"rollback", "replay"}};
  StepObservation seen;
  auto none = Only(x, seen, "status_report");
  BOOST_TEST(!none.ok);
  BOOST_TEST(none.channel == "server");

  seen.reports = {Report("rejected", "replay")};
  BOOST_TEST(Only(x, seen, "status_report").ok);
  seen.reports = {Report("rejected", "digest")};
  BOOST_TEST(!Only(x, seen, "status_report").ok);
  seen.reports = {Report("installed", "rollback")};
  BOOST_TEST(!Only(x, seen, "status_report").ok);
  // The last report counts.
  seen.reports = {Report("rejected", "rollback"), Report("installed", "")};
  BOOST_TEST(!Only(x, seen, "status_report").ok);
  seen.reports = {Report("installed", ""), Report("rejected", "rollback")};
  BOOST_TEST(Only(x, seen, "status_report").ok);

  // Without reasons any reason goes.
  x.status_report = StatusExpectation{.results = {"installed", "rejected"}};
  seen.reports = {Report("rejected", "anything")};
  BOOST_TEST(Only(x, seen, "status_report").ok);
  seen.reports = {Report("failed", "")};
  BOOST_TEST(!Only(x, seen, "status_report").ok);
}

BOOST_AUTO_TEST_CASE(status_report_truthful) {
  Expectations x;
  x.status_report = StatusExpectation{.truthful = true};
  StepObservation seen;
  seen.outcome = Outcome::kRejected;
  seen.state_after = State(R"({"last_reason": "digest"})");

  seen.reports = {Report("rejected", "digest")};
  auto ok = Only(x, seen, "status_report");
  BOOST_TEST(ok.ok);
  BOOST_TEST(ok.channel == "server");

  seen.reports = {Report("installed", "digest")};  // lies about the result
  BOOST_TEST(!Only(x, seen, "status_report").ok);
  seen.reports = {Report("rejected", "signature")};  // lies about the reason
  BOOST_TEST(!Only(x, seen, "status_report").ok);
  seen.reports = {Report("rejected", "")};  // leaves the reason out
  BOOST_TEST(!Only(x, seen, "status_report").ok);
  seen.reports.clear();
  auto missing = Only(x, seen, "status_report");
  BOOST_TEST(!missing.ok);
  BOOST_TEST(missing.observed == "no status report received");

  // An install with no reason: an empty reported reason is the truth.
  seen.outcome = Outcome::kInstalled;
  seen.state_after = State(R"({"last_reason": "none"})");
  seen.reports = {Report("installed", "")};
  BOOST_TEST(Only(x, seen, "status_report").ok);
  seen.reports = {Report("installed", "none")};
  BOOST_TEST(Only(x, seen, "status_report").ok);
  seen.reports = {Report("rejected", "")};
  BOOST_TEST(!Only(x, seen, "status_report").ok);
}

BOOST_AUTO_TEST_CASE(image_requests_count_only_image_exchanges) {
  StepObservation seen;
  seen.exchanges = {Manifest("v2"), Image("v2", 0, 1000), Manifest("v2"), Image("v2", 1000, 1000)};
  Expectations x;
  x.image_requests = CountBound{2, 2};
  auto exact = Only(x, seen, "image_requests");
  BOOST_TEST(exact.ok);
  BOOST_TEST(exact.channel == "server");
  BOOST_TEST(exact.expected == "2");
  BOOST_TEST(exact.observed == "2");
  x.image_requests = CountBound{3, 3};
  BOOST_TEST(!Only(x, seen, "image_requests").ok);
  x.image_requests = CountBound{1, 1};
  BOOST_TEST(!Only(x, seen, "image_requests").ok);

  x.image_requests = CountBound{2, std::nullopt};
  auto min = Only(x, seen, "image_requests");
  BOOST_TEST(min.ok);
  BOOST_TEST(min.expected == ">= 2");
  x.image_requests = CountBound{3, std::nullopt};
  BOOST_TEST(!Only(x, seen, "image_requests").ok);

  x.image_requests = CountBound{std::nullopt, 2};
  auto max = Only(x, seen, "image_requests");
  BOOST_TEST(max.ok);
  BOOST_TEST(max.expected == "<= 2");
  x.image_requests = CountBound{std::nullopt, 1};
  BOOST_TEST(!Only(x, seen, "image_requests").ok);

  seen.exchanges = {Manifest("v2")};
  x.image_requests = CountBound{std::nullopt, 0};
  BOOST_TEST(Only(x, seen, "image_requests").ok);
  x.image_requests = CountBound{1, std::nullopt};
  BOOST_TEST(!Only(x, seen, "image_requests").ok);
}

BOOST_AUTO_TEST_CASE(extra_bytes_are_measured_past_the_release_size) {
  Expectations x;
  StepObservation seen;
  // v1 is 1000 bytes: a ranged request from 500 that sent 600 bytes read 100 past the end.
  seen.exchanges = {Image("v1", 0, 1000), Image("v1", 500, 600, 206)};
  x.max_extra_bytes_read = 100;
  auto ok = Only(x, seen, "extra_bytes_read");
  BOOST_TEST(ok.ok);
  BOOST_TEST(ok.channel == "server");
  BOOST_TEST(ok.observed == "100 bytes");
  x.max_extra_bytes_read = 99;
  BOOST_TEST(!Only(x, seen, "extra_bytes_read").ok);

  // The largest overrun counts, not the sum; the manifest exchange is not an image.
  seen.exchanges = {Image("v1", 0, 1050), Image("v1", 0, 1030), Manifest("v1")};
  x.max_extra_bytes_read = 50;
  BOOST_TEST(Only(x, seen, "extra_bytes_read").ok);
  x.max_extra_bytes_read = 49;
  BOOST_TEST(!Only(x, seen, "extra_bytes_read").ok);

  // Each exchange is measured against its own release (v3 is 3000 bytes).
  seen.exchanges = {Image("v3", 0, 3000)};
  x.max_extra_bytes_read = 0;
  BOOST_TEST(Only(x, seen, "extra_bytes_read").ok);
  seen.exchanges = {Image("v3", 2999, 2)};
  BOOST_TEST(!Only(x, seen, "extra_bytes_read").ok);
  // An exchange that resolved to no known release cannot be measured.
  seen.exchanges = {Image("nope", 0, 1 << 20)};
  BOOST_TEST(Only(x, seen, "extra_bytes_read").ok);
}

BOOST_AUTO_TEST_CASE(resumed_needs_a_206_past_byte_zero) {
  Expectations x;
  x.resumed = true;
  StepObservation seen;
  seen.exchanges = {Image("v2", 0, 1000), Image("v2", 1000, 1000, 206)};
  auto ok = Only(x, seen, "resumed");
  BOOST_TEST(ok.ok);
  BOOST_TEST(ok.channel == "server");

  seen.exchanges = {Image("v2", 0, 1000), Image("v2", 1000, 1000, 200)};  // range ignored
  BOOST_TEST(!Only(x, seen, "resumed").ok);
  seen.exchanges = {Image("v2", 0, 2000, 206)};  // a 206 from byte 0 is not a resume
  BOOST_TEST(!Only(x, seen, "resumed").ok);
  seen.exchanges = {};
  BOOST_TEST(!Only(x, seen, "resumed").ok);
  Exchange manifest = Manifest("v2");
  manifest.range_start = 10;
  manifest.status = 206;
  seen.exchanges = {manifest};  // only image requests count
  BOOST_TEST(!Only(x, seen, "resumed").ok);

  x.resumed = false;
  seen.exchanges = {Image("v2", 0, 2000)};
  BOOST_TEST(Only(x, seen, "resumed").ok);
  seen.exchanges = {Image("v2", 1000, 1000, 206)};
  BOOST_TEST(!Only(x, seen, "resumed").ok);
}

BOOST_AUTO_TEST_CASE(every_expectation_gives_one_check_on_its_channel) {
  Expectations x;
  x.outcome = {Outcome::kInstalled};
  x.reason = {"none"};
  x.running = "v3";
  x.bootable = true;
  x.installs_delta = 1;
  x.status_report = StatusExpectation{.truthful = true};
  x.image_requests = CountBound{1, 1};
  x.max_extra_bytes_read = 0;
  x.resumed = false;
  StepObservation seen;
  seen.outcome = Outcome::kInstalled;
  seen.outcome_detail = "exit 0";
  seen.state_before = State(R"({"installs": 1, "running": {"version": "2.0.0", "sequence": 2}})");
  seen.state_after = State(
      R"({"installs": 2, "bootable": true, "last_reason": "none",
          "running": {"version": "3.0.0", "sequence": 3}})");
  seen.exchanges = {Manifest("v3"), Image("v3", 0, 3000)};
  seen.reports = {Report("installed", "")};
  auto checks = EvaluateExpectations(x, seen, Releases());
  const std::map<std::string, std::string> channels = {
      {"outcome", "verb"},         {"reason", "state"},           {"running", "state"},
      {"bootable", "state"},       {"installs", "state"},         {"status_report", "server"},
      {"image_requests", "server"}, {"extra_bytes_read", "server"}, {"resumed", "server"}};
  BOOST_REQUIRE_EQUAL(checks.size(), channels.size());
  for (const auto& check : checks) {
    BOOST_TEST_CONTEXT(check.name) {
      BOOST_REQUIRE(channels.count(check.name) == 1u);
      BOOST_TEST(check.channel == channels.at(check.name));
      BOOST_TEST(check.ok, check.expected << " vs " << check.observed);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
