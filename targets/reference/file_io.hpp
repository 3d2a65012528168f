// POSIX file output with explicit flushing: what the device writes before a power cut must be
// on storage, and progress is recorded only after the bytes it describes were synced.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>

#include "otasim/result.hpp"

namespace otasim::device {

inline constexpr std::size_t kIoBufferBytes = 64 * 1024;

class OutputFile {
 public:
  // Opens (creating) for writing at offset 0; `truncate` empties the file first.
  static Result<OutputFile> Open(const std::filesystem::path& path, bool truncate);

  OutputFile(OutputFile&& other) noexcept;
  OutputFile& operator=(OutputFile&& other) noexcept;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile();

  Status Write(const std::uint8_t* data, std::size_t size);
  Status Sync();                        // fdatasync: the bytes written so far are on storage
  Status Truncate(std::uint64_t size);  // cut (or extend) to `size` and continue writing there
  std::uint64_t position() const noexcept { return position_; }
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  OutputFile(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::filesystem::path path_;
  std::uint64_t position_ = 0;
};

// fsync of a directory, so that a rename inside it is durable.
Status SyncDirectory(const std::filesystem::path& dir);

// Streams `from` over `to` (truncating it) in 64 KiB chunks, then syncs. `after_chunk` is
// called with the bytes copied so far (the power-cut hook of a single-slot install).
Status CopyFileSynced(const std::filesystem::path& from, OutputFile& to,
                      const std::function<void(std::uint64_t copied)>& after_chunk = nullptr);

}  // namespace otasim::device
