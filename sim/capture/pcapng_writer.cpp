#include "pcapng_writer.hpp"

#include <cerrno>
#include <cstring>

namespace otasim::capture {
namespace {

constexpr std::uint32_t kSectionHeaderBlock = 0x0A0D0D0A;
constexpr std::uint32_t kInterfaceBlock = 0x00000001;
constexpr std::uint32_t kEnhancedPacketBlock = 0x00000006;
constexpr std::uint32_t kByteOrderMagic = 0x1A2B3C4D;

constexpr std::uint16_t kOptEnd = 0;
constexpr std::uint16_t kOptComment = 1;
constexpr std::uint16_t kShbUserApplication = 4;
constexpr std::uint16_t kIfName = 2;
constexpr std::uint16_t kIfTimestampResolution = 9;
constexpr char kMicroseconds = 6;  // 10^-6 s

// An option's value is at most 65535 bytes; longer comments are cut there.
constexpr std::size_t kMaxOptionValue = 0xFFFF - 3;

void Put16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v & 0xFF));
  out.push_back(static_cast<char>(v >> 8));
}

void Put32(std::string& out, std::uint32_t v) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

void PadTo32(std::string& out) {
  while (out.size() % 4 != 0) out.push_back('\0');
}

void PutOption(std::string& out, std::uint16_t code, std::string_view value) {
  if (value.size() > kMaxOptionValue) value = value.substr(0, kMaxOptionValue);
  Put16(out, code);
  Put16(out, static_cast<std::uint16_t>(value.size()));
  out.append(value);
  PadTo32(out);
}

// Wraps a block body: type, total length, body, total length again.
std::string Block(std::uint32_t type, const std::string& body) {
  const auto total = static_cast<std::uint32_t>(body.size() + 12);
  std::string block;
  block.reserve(total);
  Put32(block, type);
  Put32(block, total);
  block.append(body);
  Put32(block, total);
  return block;
}

}  // namespace

std::string EncodeSectionHeader(std::string_view user_application, std::string_view comment) {
  std::string body;
  Put32(body, kByteOrderMagic);
  Put16(body, 1);  // major version
  Put16(body, 0);  // minor version
  Put32(body, 0xFFFFFFFF);  // section length: unknown (written as a stream)
  Put32(body, 0xFFFFFFFF);
  if (!comment.empty()) PutOption(body, kOptComment, comment);
  if (!user_application.empty()) PutOption(body, kShbUserApplication, user_application);
  PutOption(body, kOptEnd, {});
  return Block(kSectionHeaderBlock, body);
}

std::string EncodeInterface(std::uint16_t link_type, std::uint32_t snap_length,
                            std::string_view name) {
  std::string body;
  Put16(body, link_type);
  Put16(body, 0);  // reserved
  Put32(body, snap_length);
  if (!name.empty()) PutOption(body, kIfName, name);
  PutOption(body, kIfTimestampResolution, std::string_view(&kMicroseconds, 1));
  PutOption(body, kOptEnd, {});
  return Block(kInterfaceBlock, body);
}

std::string EncodeEnhancedPacket(std::uint32_t interface_id, std::uint64_t timestamp_us,
                                 std::string_view captured, std::uint32_t original_length,
                                 std::string_view comment) {
  std::string body;
  body.reserve(20 + captured.size() + 4 + comment.size() + 12);
  Put32(body, interface_id);
  Put32(body, static_cast<std::uint32_t>(timestamp_us >> 32));
  Put32(body, static_cast<std::uint32_t>(timestamp_us & 0xFFFFFFFF));
  Put32(body, static_cast<std::uint32_t>(captured.size()));
  Put32(body, original_length < captured.size() ? static_cast<std::uint32_t>(captured.size())
                                                 : original_length);
  body.append(captured);
  PadTo32(body);
  if (!comment.empty()) {
    PutOption(body, kOptComment, comment);
    PutOption(body, kOptEnd, {});
  }
  return Block(kEnhancedPacketBlock, body);
}

Result<PcapngWriter> PcapngWriter::Create(const std::filesystem::path& path,
                                          std::string_view user_application,
                                          std::string_view comment) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "wb"));
  if (!file) {
    return MakeError(Errc::kIo, "creating capture " + path.string() + ": " + std::strerror(errno));
  }
  PcapngWriter writer(std::move(file), path);
  OTASIM_CHECK(writer.Append(EncodeSectionHeader(user_application, comment)));
  OTASIM_CHECK(writer.Append(EncodeInterface(kLinkTypeRaw, 0, "otasim")));
  return Result<PcapngWriter>(std::move(writer));
}

Status PcapngWriter::WritePacket(std::uint64_t timestamp_us, std::string_view captured,
                                 std::uint32_t original_length, std::string_view comment) {
  OTASIM_CHECK(Append(EncodeEnhancedPacket(0, timestamp_us, captured, original_length, comment)));
  ++packets_;
  return {};
}

Status PcapngWriter::Append(std::string_view block) {
  if (!file_) return MakeError(Errc::kIo, "writing capture " + path_.string() + ": already closed");
  if (std::fwrite(block.data(), 1, block.size(), file_.get()) != block.size()) {
    return MakeError(Errc::kIo, "writing capture " + path_.string() + ": " + std::strerror(errno));
  }
  bytes_ += block.size();
  return {};
}

Status PcapngWriter::Close() {
  if (!file_) return {};
  std::FILE* file = file_.release();
  const bool flushed = std::fflush(file) == 0;
  const int flush_errno = errno;
  const bool closed = std::fclose(file) == 0;
  if (!flushed || !closed) {
    return MakeError(Errc::kIo, "closing capture " + path_.string() + ": " +
                                    std::strerror(flushed ? errno : flush_errno));
  }
  return {};
}

}  // namespace otasim::capture
