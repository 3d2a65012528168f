#include "cpio.hpp"

#include <cstdio>

namespace otasim::formats::cpio {
namespace {

constexpr std::string_view kMagic = "070702";
constexpr std::size_t kHeaderSize = 110;  // magic + 13 fields of 8 hex digits
constexpr std::uint32_t kRegularFile = 0100644;

std::size_t PadTo4(std::uint64_t n) { return static_cast<std::size_t>((4 - n % 4) % 4); }

std::string Hex8(std::uint32_t value) {
  char buffer[9];
  std::snprintf(buffer, sizeof buffer, "%08X", value);
  return std::string(buffer, 8);
}

Result<std::uint32_t> ReadHex8(std::string_view field) {
  std::uint32_t value = 0;
  for (char c : field) {
    int digit;
    if (c >= '0' && c <= '9') digit = c - '0';
    else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    else return MakeError(Errc::kParse, "cpio: header field '" + std::string(field) + "' is not hex");
    value = value << 4 | static_cast<std::uint32_t>(digit);
  }
  return value;
}

}  // namespace

void Checksum::Update(std::span<const std::uint8_t> data) {
  for (std::uint8_t byte : data) sum_ += byte;
}

void Checksum::Update(std::string_view data) {
  for (char c : data) sum_ += static_cast<std::uint8_t>(c);
}

Result<std::string> MemberHeader(std::string_view name, std::uint64_t size, std::uint32_t checksum,
                                 std::uint32_t ino) {
  if (name.empty() || name.find('\0') != std::string_view::npos) {
    return MakeError(Errc::kInvalidArgument, "cpio: member name is empty or contains NUL");
  }
  if (size > kMaxMemberSize) {
    return MakeError(Errc::kUnsupported, "cpio: member '" + std::string(name) + "' of " +
                                             std::to_string(size) + " bytes exceeds 4 GiB - 1");
  }
  const std::uint32_t fields[] = {
      ino, kRegularFile, 0 /*uid*/, 0 /*gid*/, 1 /*nlink*/, 0 /*mtime*/,
      static_cast<std::uint32_t>(size), 0, 0, 0, 0 /*dev, rdev*/,
      static_cast<std::uint32_t>(name.size() + 1), checksum};
  std::string out(kMagic);
  for (std::uint32_t field : fields) out += Hex8(field);
  out += name;
  out.push_back('\0');
  out.append(PadTo4(out.size()), '\0');
  return out;
}

std::string MemberPadding(std::uint64_t size) { return std::string(PadTo4(size), '\0'); }

Result<std::string> Member(std::string_view name, std::string_view data, std::uint32_t ino) {
  Checksum sum;
  sum.Update(data);
  OTASIM_TRY(std::string out, MemberHeader(name, data.size(), sum.value(), ino));
  out += data;
  out += MemberPadding(data.size());
  return out;
}

std::string Trailer() {
  // A trailer has no data: its header cannot fail.
  return MemberHeader("TRAILER!!!", 0, 0, 0).value();
}

Result<std::vector<ParsedMember>> Parse(std::string_view archive) {
  std::vector<ParsedMember> members;
  std::size_t pos = 0;
  while (true) {
    if (archive.size() - pos < kHeaderSize) {
      return MakeError(Errc::kParse, "cpio: truncated header at byte " + std::to_string(pos));
    }
    std::string_view header = archive.substr(pos, kHeaderSize);
    if (header.substr(0, 6) != kMagic) {
      return MakeError(Errc::kParse, "cpio: bad magic at byte " + std::to_string(pos));
    }
    auto field = [&](int index) { return ReadHex8(header.substr(6 + 8 * index, 8)); };
    OTASIM_TRY(std::uint32_t size, field(6));
    OTASIM_TRY(std::uint32_t name_size, field(11));
    OTASIM_TRY(std::uint32_t checksum, field(12));
    const std::size_t name_at = pos + kHeaderSize;
    if (name_size == 0 || archive.size() - name_at < name_size) {
      return MakeError(Errc::kParse, "cpio: truncated name at byte " + std::to_string(name_at));
    }
    std::string name(archive.substr(name_at, name_size - 1));
    const std::size_t data_at = name_at + name_size + PadTo4(kHeaderSize + name_size);
    if (name == "TRAILER!!!") return members;
    if (data_at > archive.size() || archive.size() - data_at < size) {
      return MakeError(Errc::kParse, "cpio: member '" + name + "' is truncated");
    }
    members.push_back({std::move(name), std::string(archive.substr(data_at, size)), checksum});
    pos = data_at + size + PadTo4(size);
    if (pos > archive.size()) return MakeError(Errc::kParse, "cpio: truncated padding");
  }
}

}  // namespace otasim::formats::cpio
