#define BOOST_TEST_MODULE byte_source
#include <boost/test/unit_test.hpp>

#include <filesystem>

#include "otasim/byte_source.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using otasim::testing::TempDir;

namespace {

std::string Pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 7 + i / 251);
  return s;
}

// Drains a source in chunks of `chunk` bytes, checking that no read exceeds the buffer.
std::string Drain(otasim::ByteSource& source, std::size_t chunk) {
  std::string out;
  std::vector<std::uint8_t> buffer(chunk);
  for (;;) {
    auto n = source.Read(buffer);
    BOOST_REQUIRE(n.ok());
    BOOST_REQUIRE(*n <= chunk);
    if (*n == 0) break;
    out.append(reinterpret_cast<const char*>(buffer.data()), *n);
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(byte_source_tests)

BOOST_AUTO_TEST_CASE(file_source_streams_whole_file) {
  const std::string data = Pattern(300000);
  TempDir temp("otasim-bs-test");
  const fs::path file = temp.Write("data", data);
  auto source = otasim::OpenFileSource(file);
  BOOST_REQUIRE(source.ok());
  BOOST_TEST((*source)->Length().value() == data.size());
  BOOST_TEST(Drain(**source, 4093) == data);
  // The end stays the end.
  std::uint8_t byte = 0;
  BOOST_TEST(*(*source)->Read({&byte, 1}) == 0u);
}

BOOST_AUTO_TEST_CASE(file_source_range) {
  const std::string data = Pattern(10000);
  TempDir temp("otasim-bs-test");
  const fs::path file = temp.Write("data", data);
  auto source = otasim::OpenFileSource(file, 1234, 5000);
  BOOST_REQUIRE(source.ok());
  BOOST_TEST((*source)->Length().value() == 5000u);
  BOOST_TEST(Drain(**source, 777) == data.substr(1234, 5000));

  auto tail = otasim::OpenFileSource(file, 9000);
  BOOST_REQUIRE(tail.ok());
  BOOST_TEST((*tail)->Length().value() == 1000u);
  BOOST_TEST(Drain(**tail, 64) == data.substr(9000));
}

BOOST_AUTO_TEST_CASE(file_source_rejects_bad_ranges_and_missing_files) {
  TempDir temp("otasim-bs-test");
  const fs::path file = temp.Write("data", Pattern(100));
  BOOST_TEST(!otasim::OpenFileSource(file, 101).ok());
  BOOST_TEST(!otasim::OpenFileSource(file, 50, 51).ok());
  BOOST_TEST(otasim::OpenFileSource(file, 100).ok());  // empty range at the end
  BOOST_TEST(!otasim::OpenFileSource(file.string() + ".missing").ok());
  BOOST_TEST(!otasim::OpenFileSource(fs::temp_directory_path()).ok());
}

BOOST_AUTO_TEST_CASE(memory_source) {
  const std::string data = Pattern(1000);
  auto source = otasim::MemorySource(data);
  BOOST_TEST(source->Length().value() == 1000u);
  BOOST_TEST(Drain(*source, 3) == data);
  auto empty = otasim::MemorySource("");
  BOOST_TEST(Drain(*empty, 16).empty());
}

BOOST_AUTO_TEST_SUITE_END()
