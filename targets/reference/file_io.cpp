#include "file_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>
#include <vector>

namespace otasim::device {
namespace {

Error IoError(std::string_view what, const std::filesystem::path& path) {
  return MakeError(Errc::kIo,
                   std::string(what) + " " + path.string() + ": " + std::strerror(errno));
}

}  // namespace

Result<OutputFile> OutputFile::Open(const std::filesystem::path& path, bool truncate) {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0);
  const int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return IoError("open", path);
  return OutputFile(fd, path);
}

OutputFile::OutputFile(OutputFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      position_(other.position_) {}

OutputFile& OutputFile::operator=(OutputFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    position_ = other.position_;
  }
  return *this;
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status OutputFile::Write(const std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::pwrite(fd_, data, size, static_cast<off_t>(position_));
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("write", path_);
    }
    data += n;
    size -= static_cast<std::size_t>(n);
    position_ += static_cast<std::uint64_t>(n);
  }
  return {};
}

Status OutputFile::Sync() {
  if (::fdatasync(fd_) != 0) return IoError("fdatasync", path_);
  return {};
}

Status OutputFile::Truncate(std::uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return IoError("truncate", path_);
  position_ = size;
  return {};
}

Status SyncDirectory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("open directory", dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return IoError("fsync", dir);
  return {};
}

Status CopyFileSynced(const std::filesystem::path& from, OutputFile& to,
                      const std::function<void(std::uint64_t copied)>& after_chunk) {
  std::ifstream in(from, std::ios::binary);
  if (!in) return IoError("open", from);
  OTASIM_CHECK(to.Truncate(0));
  std::vector<std::uint8_t> buffer(kIoBufferBytes);
  std::uint64_t copied = 0;
  while (in) {
    in.read(reinterpret_cast<char*>(buffer.data()), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got == 0) break;
    OTASIM_CHECK(to.Write(buffer.data(), got));
    copied += got;
    if (after_chunk) after_chunk(copied);
  }
  if (in.bad()) return IoError("read", from);
  return to.Sync();
}

}  // namespace otasim::device
