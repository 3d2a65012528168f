#define BOOST_TEST_MODULE scenario_session_environment
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "otasim/time.hpp"
#include "scenario/session_environment.hpp"

using namespace otasim;
using namespace otasim::scenario;

namespace {

SysTime Start() {
  auto t = ParseRfc3339("2026-03-01T12:00:00Z");
  BOOST_REQUIRE(t.ok());
  return *t;
}

struct Env {
  SessionEnvironment env;
  explicit Env(std::uint64_t seed_base = 1234)
      : env("http", "dev-0001", std::filesystem::temp_directory_path() / "otasim-unused", seed_base,
            TlsMaterial{}, Start()) {}
};

Exchange Ex(const std::string& resource, int step = 99) {
  Exchange e;
  e.kind = "image";
  e.resource = resource;
  e.step = step;  // the environment overwrites it
  return e;
}

StatusReport Rep(const std::string& result) {
  StatusReport r;
  r.result = result;
  r.step = 99;
  return r;
}

Release Rel(const std::string& name) {
  Release r;
  r.name = name;
  r.manifest.version = "1.0.0";
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(stable_hash_tests)

BOOST_AUTO_TEST_CASE(is_fnv1a_64_with_known_values) {
  // Published FNV-1a 64-bit test vectors: the hash must not change between builds.
  BOOST_TEST(StableHash("") == 0xcbf29ce484222325ull);
  BOOST_TEST(StableHash("a") == 0xaf63dc4c8601ec8cull);
  BOOST_TEST(StableHash("foobar") == 0x85944171f73967e8ull);
}

BOOST_AUTO_TEST_CASE(differs_per_input_and_basis) {
  std::set<std::uint64_t> seen;
  for (const char* text : {"", "a", "b", "ab", "ba", "release:v1", "release:v2", "attack.tamper"}) {
    BOOST_TEST(seen.insert(StableHash(text)).second, text);
  }
  BOOST_TEST(StableHash("x", 1) != StableHash("x", 2));
  BOOST_TEST(StableHash("x", 7) == StableHash("x", 7));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(session_environment_tests)

BOOST_AUTO_TEST_CASE(seed_differs_per_component_and_per_base) {
  Env a(1), b(2), a2(1);
  BOOST_TEST(a.env.Seed("release:v1") != a.env.Seed("release:v2"));
  BOOST_TEST(a.env.Seed("release:v1") != b.env.Seed("release:v1"));
  BOOST_TEST(a.env.Seed("release:v1") == a2.env.Seed("release:v1"));
  BOOST_TEST(a.env.Seed("release:v1") == a.env.Seed("release:v1"));
  BOOST_TEST(a.env.Seed("attack") == StableHash("attack", 1));
}

BOOST_AUTO_TEST_CASE(exchanges_and_reports_carry_the_current_step) {
  Env e;
  BOOST_TEST(e.env.ExchangeCount() == 0u);
  e.env.RecordExchange(Ex("/before"));  // before any step
  e.env.BeginStep(0, nullptr, {}, Start());
  e.env.RecordExchange(Ex("/a"));
  e.env.RecordStatus(Rep("installed"));
  e.env.BeginStep(1, nullptr, {}, Start());
  e.env.RecordExchange(Ex("/b"));
  e.env.RecordExchange(Ex("/c"));
  e.env.RecordStatus(Rep("rejected"));

  const auto all = e.env.AllExchanges();
  BOOST_REQUIRE_EQUAL(all.size(), 4u);
  BOOST_TEST(all[0].step == -1);
  BOOST_TEST(all[1].step == 0);
  BOOST_TEST(all[2].step == 1);
  BOOST_TEST(all[3].step == 1);
  BOOST_TEST(all[3].resource == "/c");
  const auto reports = e.env.AllReports();
  BOOST_REQUIRE_EQUAL(reports.size(), 2u);
  BOOST_TEST(reports[0].step == 0);
  BOOST_TEST(reports[1].step == 1);
  BOOST_TEST(reports[1].result == "rejected");
  BOOST_TEST(e.env.ExchangeCount() == 4u);
  BOOST_TEST(e.env.ReportCount() == 2u);
}

BOOST_AUTO_TEST_CASE(exchanges_since_a_mark) {
  Env e;
  e.env.BeginStep(0, nullptr, {}, Start());
  e.env.RecordExchange(Ex("/a"));
  e.env.RecordExchange(Ex("/b"));
  const std::size_t mark = e.env.ExchangeCount();
  const std::size_t report_mark = e.env.ReportCount();
  e.env.BeginStep(1, nullptr, {}, Start());
  e.env.RecordExchange(Ex("/c"));
  e.env.RecordStatus(Rep("installed"));

  const auto since = e.env.ExchangesSince(mark);
  BOOST_REQUIRE_EQUAL(since.size(), 1u);
  BOOST_TEST(since[0].resource == "/c");
  BOOST_TEST(since[0].step == 1);
  BOOST_TEST(e.env.ExchangesSince(0).size() == 3u);
  BOOST_TEST(e.env.ExchangesSince(1).front().resource == "/b");
  BOOST_TEST(e.env.ExchangesSince(3).empty());
  BOOST_TEST(e.env.ExchangesSince(100).empty());
  BOOST_TEST(e.env.ReportsSince(report_mark).size() == 1u);
  BOOST_TEST(e.env.ReportsSince(5).empty());
}

BOOST_AUTO_TEST_CASE(served_manifests_in_order) {
  Env e;
  BOOST_TEST(e.env.ServedManifests().empty());
  e.env.RecordServedManifest("first");
  e.env.RecordServedManifest("second");
  e.env.RecordServedManifest("first");
  const std::vector<std::string> expected = {"first", "second", "first"};
  BOOST_TEST(e.env.ServedManifests() == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(rogue_signing_key_is_stable_within_a_session) {
  Env a, b;
  auto k1 = a.env.RogueSigningKey();
  auto k2 = a.env.RogueSigningKey();
  auto other = b.env.RogueSigningKey();
  BOOST_REQUIRE(k1.ok());
  BOOST_REQUIRE(k2.ok());
  BOOST_REQUIRE(other.ok());
  BOOST_TEST(k1->Public().KeyId() == k2->Public().KeyId());
  BOOST_TEST(k1->ToPem() == k2->ToPem());
  BOOST_TEST(k1->Public().KeyId() != other->Public().KeyId());
}

BOOST_AUTO_TEST_CASE(begin_step_sets_what_plugins_see) {
  Env e;
  e.env.AddRelease(Rel("v1"));
  e.env.AddRelease(Rel("v2"));
  BOOST_TEST(e.env.FindRelease("v1") != nullptr);
  BOOST_TEST(e.env.FindRelease("v9") == nullptr);
  BOOST_TEST(e.env.PublishedRelease() == nullptr);
  BOOST_TEST(e.env.DeviceNow() == "2026-03-01T12:00:00Z");
  BOOST_TEST(e.env.ActiveAttackers().empty());

  const Release* v2 = e.env.FindRelease("v2");
  e.env.BeginStep(3, v2, {}, Start() + std::chrono::days(2));
  BOOST_TEST(e.env.PublishedRelease() == v2);
  BOOST_TEST(e.env.DeviceNow() == "2026-03-03T12:00:00Z");
  BOOST_TEST(e.env.protocol() == "http");
  BOOST_TEST(e.env.device_id() == "dev-0001");
  e.env.BeginStep(4, nullptr, {}, Start());
  BOOST_TEST(e.env.PublishedRelease() == nullptr);
}

BOOST_AUTO_TEST_CASE(recording_from_several_threads_loses_nothing) {
  Env e;
  e.env.BeginStep(2, nullptr, {}, Start());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&e] {
      for (int i = 0; i < 250; ++i) e.env.RecordExchange(Ex("/x"));
    });
  }
  for (auto& t : threads) t.join();
  BOOST_TEST(e.env.ExchangeCount() == 1000u);
  for (const auto& x : e.env.AllExchanges()) BOOST_TEST_REQUIRE(x.step == 2);
}

BOOST_AUTO_TEST_SUITE_END()
