// File helpers on POSIX descriptors: we need fsync and exact permissions, which iostreams lack.
#include "otasim/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace otasim {
namespace {

Error ErrnoError(std::string_view what, const std::filesystem::path& path, int err) {
  Errc code = err == ENOENT ? Errc::kNotFound : Errc::kIo;
  return Error(code, std::string(what) + " " + path.string() + ": " + std::strerror(err));
}

// Closes the descriptor on every path out of a function.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

std::filesystem::path TempPathFor(const std::filesystem::path& path) {
  static std::atomic<unsigned> counter{0};
  std::filesystem::path temp = path;
  temp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  return temp;
}

Status WriteAll(int fd, std::string_view contents, const std::filesystem::path& path) {
  while (!contents.empty()) {
    ssize_t n = ::write(fd, contents.data(), contents.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("writing", path, errno);
    }
    contents.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace

Status WriteFileAtomic(const std::filesystem::path& path, std::string_view contents,
                       std::filesystem::perms perms) {
  const auto mode = static_cast<mode_t>(perms & std::filesystem::perms::mask);
  const std::filesystem::path temp = TempPathFor(path);
  Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (fd.get() < 0) return ErrnoError("creating", temp, errno);

  auto fail = [&](Error error) {
    ::close(fd.Release());
    ::unlink(temp.c_str());
    return error;
  };
  // The umask may have narrowed the mode given to open(); set it exactly.
  if (::fchmod(fd.get(), mode) != 0) return fail(ErrnoError("chmod", temp, errno));
  if (Status written = WriteAll(fd.get(), contents, temp); !written) return fail(written.error());
  if (::fsync(fd.get()) != 0) return fail(ErrnoError("fsync", temp, errno));
  if (::close(fd.Release()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return ErrnoError("closing", temp, err);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return ErrnoError("renaming to", path, err);
  }
  // Make the rename itself durable; failure here does not undo a completed write.
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() >= 0) ::fsync(dir_fd.get());
  return {};
}

Result<std::string> ReadFile(const std::filesystem::path& path, std::uint64_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError("opening", path, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoError("stat", path, errno);
  if (S_ISDIR(st.st_mode)) return Error(Errc::kIo, "reading " + path.string() + ": is a directory");
  auto too_large = [&] {
    return Error(Errc::kInvalidArgument, "reading " + path.string() + ": larger than " +
                                             std::to_string(max_bytes) + " bytes");
  };
  if (S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) > max_bytes) return too_large();

  // Read until EOF rather than trusting st_size: the file may grow, or be a pipe or /proc file.
  std::string out;
  char buffer[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("reading", path, errno);
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::uint64_t>(n) > max_bytes) return too_large();
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace otasim
