// Streaming SHA-256 over EVP_MD_CTX.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <openssl/evp.h>

#include "otasim/crypto.hpp"

namespace otasim::crypto {

// EVP_DigestInit/Update/Final on SHA-256 only fail on allocation failure or misuse; the
// interface has no error channel, so a failed context simply yields an all-zero digest, which
// can never match a real one.
Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ != nullptr && EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    ctx_ = nullptr;
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

Sha256::Sha256(Sha256&& other) noexcept : ctx_(other.ctx_) { other.ctx_ = nullptr; }

Sha256& Sha256::operator=(Sha256&& other) noexcept {
  if (this != &other) {
    EVP_MD_CTX_free(ctx_);
    ctx_ = other.ctx_;
    other.ctx_ = nullptr;
  }
  return *this;
}

void Sha256::Update(ByteView data) {
  if (ctx_ == nullptr || data.empty()) return;
  EVP_DigestUpdate(ctx_, data.data(), data.size());
}

Sha256Digest Sha256::Final() {
  Sha256Digest digest{};
  if (ctx_ == nullptr) return digest;
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx_, digest.data(), &size) != 1 || size != digest.size()) digest.fill(0);
  // Free the context so that a later Update is a no-op rather than undefined behaviour.
  EVP_MD_CTX_free(ctx_);
  ctx_ = nullptr;
  return digest;
}

Sha256Digest Sha256::Of(ByteView data) {
  Sha256 hash;
  hash.Update(data);
  return hash.Final();
}

Result<std::string> Sha256FileHex(const std::filesystem::path& path, std::uint64_t limit) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    return Error(err == ENOENT ? Errc::kNotFound : Errc::kIo,
                 "hashing " + path.string() + ": " + std::strerror(err));
  }
  constexpr std::size_t kChunk = 64 * 1024;
  std::vector<std::uint8_t> buffer(kChunk);
  Sha256 hash;
  std::uint64_t remaining = limit;
  while (remaining > 0) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, remaining));
    ssize_t n = ::read(fd, buffer.data(), want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return Error(Errc::kIo, "hashing " + path.string() + ": " + std::strerror(err));
    }
    if (n == 0) break;
    hash.Update(ByteView(buffer.data(), static_cast<std::size_t>(n)));
    remaining -= static_cast<std::uint64_t>(n);
  }
  ::close(fd);
  const Sha256Digest digest = hash.Final();
  return HexEncode(digest);
}

}  // namespace otasim::crypto
