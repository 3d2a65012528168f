#define BOOST_TEST_MODULE swu_cpio
#include <boost/test/unit_test.hpp>

#include <string>

#include "formats/swu/cpio.hpp"

namespace cpio = otasim::formats::cpio;

namespace {

std::string MemberOrFail(const std::string& name, const std::string& data, std::uint32_t ino) {
  auto member = cpio::Member(name, data, ino);
  BOOST_REQUIRE_MESSAGE(member.ok(), (member.ok() ? "" : member.error().What()));
  return *member;
}

}  // namespace

BOOST_AUTO_TEST_CASE(members_are_aligned_and_read_back_with_their_checksums) {
  const std::string description = "software = {};\n";  // 15 bytes: 1 byte of padding
  const std::string image("\xff\x01\x80", 3);
  const std::string archive = MemberOrFail("sw-description", description, 1) +
                              MemberOrFail("img.bin", image, 2) + cpio::Trailer();
  BOOST_TEST(archive.size() % 4 == 0u);
  BOOST_TEST(archive.substr(0, 6) == "070702");

  auto members = cpio::Parse(archive);
  BOOST_REQUIRE_MESSAGE(members.ok(), (members.ok() ? "" : members.error().What()));
  BOOST_REQUIRE(members->size() == 2u);
  BOOST_TEST((*members)[0].name == "sw-description");
  BOOST_TEST((*members)[0].data == description);
  BOOST_TEST((*members)[1].name == "img.bin");
  BOOST_TEST((*members)[1].data == image);
  BOOST_TEST((*members)[1].checksum == 0xffu + 0x01u + 0x80u);  // bytes summed unsigned
}

BOOST_AUTO_TEST_CASE(a_streamed_member_matches_one_built_whole) {
  const std::string data(1001, 'x');
  cpio::Checksum sum;
  sum.Update(std::string_view(data).substr(0, 500));
  sum.Update(std::string_view(data).substr(500));
  auto header = cpio::MemberHeader("firmware.bin", data.size(), sum.value(), 3);
  BOOST_REQUIRE(header.ok());
  BOOST_TEST(*header + data + cpio::MemberPadding(data.size()) ==
             MemberOrFail("firmware.bin", data, 3));
  BOOST_TEST(cpio::MemberPadding(1001).size() == 3u);
  BOOST_TEST(cpio::MemberPadding(1004).size() == 0u);
}

BOOST_AUTO_TEST_CASE(the_header_fields_are_upper_case_hex_of_the_new_ascii_crc_format) {
  auto header = cpio::MemberHeader("a", 0x1234, 0xabcdef, 7);
  BOOST_REQUIRE(header.ok());
  BOOST_TEST(header->size() == 112u);                        // 110 + "a\0", aligned to 4
  BOOST_TEST(header->substr(6, 8) == "00000007");            // ino
  BOOST_TEST(header->substr(14, 8) == "000081A4");           // regular file, 0644
  BOOST_TEST(header->substr(54, 8) == "00001234");           // file size
  BOOST_TEST(header->substr(94, 8) == "00000002");           // name size with its NUL
  BOOST_TEST(header->substr(102, 8) == "00ABCDEF");          // checksum
}

BOOST_AUTO_TEST_CASE(sizes_past_the_field_and_bad_names_are_refused) {
  auto huge = cpio::MemberHeader("big.bin", 0x100000000ull, 0, 1);
  BOOST_REQUIRE(!huge.ok());
  BOOST_TEST(huge.error().message().find("big.bin") != std::string::npos);
  BOOST_TEST(!cpio::MemberHeader("", 1, 0, 1).ok());
  BOOST_TEST(!cpio::MemberHeader(std::string("a\0b", 3), 1, 0, 1).ok());
}

BOOST_AUTO_TEST_CASE(truncated_or_foreign_archives_do_not_parse) {
  const std::string archive = MemberOrFail("a", "hello", 1) + cpio::Trailer();
  BOOST_TEST(!cpio::Parse(archive.substr(0, archive.size() - 20)).ok());  // no trailer
  BOOST_TEST(!cpio::Parse(archive.substr(0, 115)).ok());                  // cut inside data
  std::string foreign = archive;
  foreign[5] = '1';  // 070701: newc without checksums
  BOOST_TEST(!cpio::Parse(foreign).ok());
  std::string bad_hex = archive;
  bad_hex[60] = 'g';
  BOOST_TEST(!cpio::Parse(bad_hex).ok());
}
