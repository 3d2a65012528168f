// File and memory byte sources. The file source reads with pread on demand, so an image of any
// size streams through a caller's buffer without being loaded.
#include "otasim/byte_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace otasim {
namespace {

class FileSource final : public ByteSource {
 public:
  FileSource(int fd, std::filesystem::path path, std::uint64_t offset, std::uint64_t length)
      : fd_(fd), path_(std::move(path)), next_(offset), remaining_(length), length_(length) {}
  ~FileSource() override { ::close(fd_); }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  Result<std::size_t> Read(std::span<std::uint8_t> out) override {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), remaining_));
    if (want == 0) return std::size_t{0};
    for (;;) {
      ssize_t n = ::pread(fd_, out.data(), want, static_cast<off_t>(next_));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        return Error(Errc::kIo, "reading " + path_.string() + ": " + std::strerror(errno));
      }
      if (n == 0) {  // the file shrank under us: the promised length can not be delivered
        return Error(Errc::kIo, "reading " + path_.string() + ": file ended early");
      }
      next_ += static_cast<std::uint64_t>(n);
      remaining_ -= static_cast<std::uint64_t>(n);
      return static_cast<std::size_t>(n);
    }
  }

  std::optional<std::uint64_t> Length() const override { return length_; }

 private:
  int fd_;
  std::filesystem::path path_;
  std::uint64_t next_;
  std::uint64_t remaining_;
  std::uint64_t length_;
};

class StringSource final : public ByteSource {
 public:
  explicit StringSource(std::string bytes) : bytes_(std::move(bytes)) {}

  Result<std::size_t> Read(std::span<std::uint8_t> out) override {
    const std::size_t n = std::min(out.size(), bytes_.size() - pos_);
    std::memcpy(out.data(), bytes_.data() + pos_, n);
    pos_ += n;
    return n;
  }

  std::optional<std::uint64_t> Length() const override { return bytes_.size(); }

 private:
  std::string bytes_;
  std::size_t pos_ = 0;
};

}  // namespace

Result<ByteSourcePtr> OpenFileSource(const std::filesystem::path& path, std::uint64_t offset,
                                     std::optional<std::uint64_t> length) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    return Error(err == ENOENT ? Errc::kNotFound : Errc::kIo,
                 "opening " + path.string() + ": " + std::strerror(err));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error(Errc::kIo, "opening " + path.string() + ": not a regular file");
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (offset > size || (length && *length > size - offset)) {
    ::close(fd);
    return Error(Errc::kInvalidArgument, "range beyond the end of " + path.string() + " (" +
                                             std::to_string(size) + " bytes)");
  }
  return ByteSourcePtr(
      std::make_unique<FileSource>(fd, path, offset, length.value_or(size - offset)));
}

ByteSourcePtr MemorySource(std::string bytes) {
  return std::make_unique<StringSource>(std::move(bytes));
}

}  // namespace otasim
