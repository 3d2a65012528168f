#define BOOST_TEST_MODULE files
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <filesystem>

#include "otasim/files.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using otasim::testing::TempDir;

namespace {

unsigned ModeOf(const fs::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 0777;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(files_tests)

BOOST_AUTO_TEST_CASE(write_then_read_round_trips) {
  TempDir dir("otasim-files-test");
  const fs::path file = dir.path() / "a.bin";
  std::string contents("binary\0data\xff", 12);
  BOOST_REQUIRE(otasim::WriteFileAtomic(file, contents).ok());
  auto read = otasim::ReadFile(file);
  BOOST_REQUIRE(read.ok());
  BOOST_TEST(*read == contents);
  BOOST_TEST(ModeOf(file) == 0644u);
}

BOOST_AUTO_TEST_CASE(overwrite_replaces_and_leaves_no_temp) {
  TempDir dir("otasim-files-test");
  const fs::path file = dir.path() / "a.txt";
  BOOST_REQUIRE(otasim::WriteFileAtomic(file, "first version, longer").ok());
  BOOST_REQUIRE(otasim::WriteFileAtomic(file, "second").ok());
  BOOST_TEST(*otasim::ReadFile(file) == "second");
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  BOOST_TEST(entries == 1);
}

BOOST_AUTO_TEST_CASE(private_perms_are_exact) {
  TempDir dir("otasim-files-test");
  const fs::path file = dir.path() / "key.pem";
  BOOST_REQUIRE(otasim::WriteFileAtomic(file, "secret", otasim::kPermsPrivate).ok());
  BOOST_TEST(ModeOf(file) == 0600u);
}

BOOST_AUTO_TEST_CASE(write_into_missing_directory_fails) {
  TempDir dir("otasim-files-test");
  auto status = otasim::WriteFileAtomic(dir.path() / "no" / "such" / "file", "x");
  BOOST_REQUIRE(!status.ok());
  BOOST_TEST(status.error().message().find("no/such") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(read_refuses_large_files) {
  TempDir dir("otasim-files-test");
  const fs::path file = dir.path() / "big";
  BOOST_REQUIRE(otasim::WriteFileAtomic(file, std::string(1001, 'x')).ok());
  auto r = otasim::ReadFile(file, 1000);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST((r.error().code() == otasim::Errc::kInvalidArgument));
  BOOST_TEST(otasim::ReadFile(file, 1001).ok());
}

BOOST_AUTO_TEST_CASE(read_missing_and_directory_fail) {
  TempDir dir("otasim-files-test");
  auto missing = otasim::ReadFile(dir.path() / "missing");
  BOOST_REQUIRE(!missing.ok());
  BOOST_TEST((missing.error().code() == otasim::Errc::kNotFound));
  BOOST_TEST(!otasim::ReadFile(dir.path()).ok());
}

BOOST_AUTO_TEST_CASE(read_empty_file) {
  TempDir dir("otasim-files-test");
  BOOST_REQUIRE(otasim::WriteFileAtomic(dir.path() / "empty", "").ok());
  auto r = otasim::ReadFile(dir.path() / "empty");
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r->empty());
}

BOOST_AUTO_TEST_SUITE_END()
