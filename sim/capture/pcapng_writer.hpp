// pcapng (draft-ietf-opsawg-pcapng) written as a stream: one Section Header Block, one
// Interface Description Block, then Enhanced Packet Blocks appended as packets happen.
// Little-endian, every block and option padded to 32 bits. Not thread-safe: FileCapture
// serialises access.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "otasim/result.hpp"

namespace otasim::capture {

// Raw IPv4/IPv6 packets, no link-layer header (LINKTYPE_RAW).
constexpr std::uint16_t kLinkTypeRaw = 101;

// Block encoders, pure so that tests can check the layout byte by byte.
std::string EncodeSectionHeader(std::string_view user_application, std::string_view comment);
std::string EncodeInterface(std::uint16_t link_type, std::uint32_t snap_length,
                            std::string_view name);
// `captured` is what is kept of the packet; original_length is how long it was (>= captured).
std::string EncodeEnhancedPacket(std::uint32_t interface_id, std::uint64_t timestamp_us,
                                 std::string_view captured, std::uint32_t original_length,
                                 std::string_view comment);

class PcapngWriter {
 public:
  // Creates (truncates) the file and writes the section header and the one interface.
  static Result<PcapngWriter> Create(const std::filesystem::path& path,
                                     std::string_view user_application, std::string_view comment);

  Status WritePacket(std::uint64_t timestamp_us, std::string_view captured,
                     std::uint32_t original_length, std::string_view comment = {});
  // Flushes and closes; later writes fail. Idempotent.
  Status Close();

  std::uint64_t packets() const { return packets_; }
  std::uint64_t bytes() const { return bytes_; }  // file size so far

 private:
  struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };
  PcapngWriter(std::unique_ptr<std::FILE, FileCloser> file, std::filesystem::path path)
      : file_(std::move(file)), path_(std::move(path)) {}
  Status Append(std::string_view block);

  std::unique_ptr<std::FILE, FileCloser> file_;
  std::filesystem::path path_;
  std::uint64_t packets_ = 0;
  std::uint64_t bytes_ = 0;
};

}  // namespace otasim::capture
