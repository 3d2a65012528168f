#define BOOST_TEST_MODULE faketime
#include <boost/test/unit_test.hpp>
// clock: faketime — a client, and the children it starts, see the device's "now".

#include <filesystem>
#include <string>

#include "otasim/time.hpp"
#include "support/temp_dir.hpp"
#include "target/faketime.hpp"
#include "target/process.hpp"

using namespace otasim;
using namespace otasim::target;
using otasim::testing::Slurp;
using otasim::testing::TempDir;

BOOST_AUTO_TEST_SUITE(faketime_tests)

BOOST_AUTO_TEST_CASE(the_environment_names_the_library_and_the_utc_start) {
  auto env = FaketimeEnvironment("2026-11-28T07:00:00+01:00", "/bin/sh");  // any existing file
  BOOST_REQUIRE(env.ok());
  BOOST_TEST(env->at("FAKETIME") == "@2026-11-28 06:00:00");
  BOOST_TEST(env->at("LD_PRELOAD") == "/bin/sh");
  BOOST_TEST(!FaketimeEnvironment("yesterday", "/bin/sh").ok());
  auto missing = FaketimeEnvironment("2026-11-28T06:00:00Z", "/nonexistent/libfaketime.so.1");
  BOOST_REQUIRE(!missing.ok());
  BOOST_TEST((missing.error().code() == Errc::kUnsupported));
}

BOOST_AUTO_TEST_CASE(a_child_of_the_client_sees_the_faked_clock) {
  if (!std::filesystem::exists(kFaketimeLibrary)) {
    BOOST_TEST_MESSAGE("libfaketime is not installed: skipped");
    return;
  }
  const std::string now = "2031-05-04T03:02:01Z";
  auto env = FaketimeEnvironment(now);
  BOOST_REQUIRE(env.ok());
  TempDir temp("otasim-faketime");
  ProcessSpec spec;
  // The shell starts `date` as a child and another shell in the background: both inherit it.
  spec.argv = {"/bin/sh", "-c", "date -u +%s; (date -u +%s) & wait"};
  spec.extra_env = *env;
  spec.stdout_file = temp.path() / "out";
  spec.timeout = std::chrono::seconds(10);
  auto run = RunProcess(spec);
  BOOST_REQUIRE(run.ok());
  BOOST_REQUIRE(run->exited && run->exit_code == 0);
  const auto expected = ParseRfc3339(now)->time_since_epoch().count();
  std::istringstream lines(Slurp(spec.stdout_file));
  for (int i = 0; i < 2; ++i) {
    long long seen = 0;
    BOOST_REQUIRE(lines >> seen);
    // The faked clock runs on from the start: allow the seconds the shell may take.
    BOOST_TEST(seen >= expected);
    BOOST_TEST(seen <= expected + 5);
  }
}

BOOST_AUTO_TEST_SUITE_END()
