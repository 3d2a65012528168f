// The cpio "new ASCII with checksum" format (`cpio -H crc`, magic 070702) that SWUpdate reads
// a .swu as. Pure: builds and parses bytes, touches no file. A member is a 110-byte header of
// hex fields, its NUL-terminated name padded to 4 bytes, then its data padded to 4 bytes; the
// checksum field is the 32-bit sum of the data bytes, which SWUpdate checks.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "otasim/result.hpp"

namespace otasim::formats::cpio {

inline constexpr std::uint64_t kMaxMemberSize = 0xffffffffu;  // an 8-hex-digit size field

// The running checksum of a member's data, fed chunk by chunk.
class Checksum {
 public:
  void Update(std::span<const std::uint8_t> data);
  void Update(std::string_view data);
  std::uint32_t value() const { return sum_; }

 private:
  std::uint32_t sum_ = 0;
};

// A member's header, name and name padding; its data (of `size` bytes, summing to `checksum`)
// follows, then MemberPadding(size). `ino` numbers the members (1, 2, …).
Result<std::string> MemberHeader(std::string_view name, std::uint64_t size, std::uint32_t checksum,
                                 std::uint32_t ino);
// The zero bytes that align `size` data bytes to 4.
std::string MemberPadding(std::uint64_t size);
// A whole member held in memory (sw-description, its signature).
Result<std::string> Member(std::string_view name, std::string_view data, std::uint32_t ino);
// The "TRAILER!!!" member that ends the archive.
std::string Trailer();

// A member read back, for tests and checks.
struct ParsedMember {
  std::string name;
  std::string data;
  std::uint32_t checksum = 0;  // as written in the header
};
// Parses an archive up to and including its trailer (the trailer is not returned); kParse on a
// bad magic, a bad hex field, a truncated member or a missing trailer.
Result<std::vector<ParsedMember>> Parse(std::string_view archive);

}  // namespace otasim::formats::cpio
