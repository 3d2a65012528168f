#include "artifact_spool.hpp"

#include <array>
#include <fstream>
#include <memory>
#include <utility>
#include <vector>

#include <openssl/evp.h>

#include "common/concat_source.hpp"
#include "otasim/crypto.hpp"

namespace otasim::servers::hawkbit_ddi {
namespace {

// One streaming digest over OpenSSL's EVP (the SDK offers SHA-256 only; DDI wants three).
class Digest {
 public:
  explicit Digest(const EVP_MD* md) : ctx_(EVP_MD_CTX_new()) {
    if (ctx_ != nullptr && EVP_DigestInit_ex(ctx_, md, nullptr) != 1) {
      EVP_MD_CTX_free(ctx_);
      ctx_ = nullptr;
    }
  }
  ~Digest() { EVP_MD_CTX_free(ctx_); }
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;

  bool ok() const { return ctx_ != nullptr; }
  void Update(const std::uint8_t* data, std::size_t size) { EVP_DigestUpdate(ctx_, data, size); }
  std::string FinalHex() {
    std::array<std::uint8_t, EVP_MAX_MD_SIZE> out{};
    unsigned int size = 0;
    EVP_DigestFinal_ex(ctx_, out.data(), &size);
    return crypto::HexEncode(crypto::ByteView(out.data(), size));
  }

 private:
  EVP_MD_CTX* ctx_;
};

// The source with a known number of bytes already taken from it: Length() shrinks to match.
class Remainder final : public ByteSource {
 public:
  Remainder(ByteSourcePtr inner, std::uint64_t taken) : inner_(std::move(inner)), taken_(taken) {}
  Result<std::size_t> Read(std::span<std::uint8_t> out) override { return inner_->Read(out); }
  std::optional<std::uint64_t> Length() const override {
    auto total = inner_->Length();
    if (!total) return std::nullopt;
    return *total > taken_ ? *total - taken_ : 0;
  }

 private:
  ByteSourcePtr inner_;
  std::uint64_t taken_;
};

}  // namespace

Result<SpooledArtifact> SpoolArtifact(ByteSourcePtr body, std::uint64_t limit,
                                      const std::filesystem::path& path) {
  Digest sha1(EVP_sha1()), md5(EVP_md5()), sha256(EVP_sha256());
  if (!sha1.ok() || !md5.ok() || !sha256.ok()) {
    return MakeError(Errc::kCrypto, "artifact hashes: no digest context");
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return MakeError(Errc::kIo, "artifact spool " + path.string() + ": cannot create");
  SpooledArtifact spool;
  spool.path = path;
  std::vector<std::uint8_t> buffer(64 * 1024);
  while (spool.spooled < limit) {
    const std::uint64_t want = std::min<std::uint64_t>(buffer.size(), limit - spool.spooled);
    OTASIM_TRY(std::size_t got, body->Read(std::span(buffer.data(), want)));
    if (got == 0) break;
    sha1.Update(buffer.data(), got);
    md5.Update(buffer.data(), got);
    sha256.Update(buffer.data(), got);
    out.write(reinterpret_cast<const char*>(buffer.data()), static_cast<std::streamsize>(got));
    spool.spooled += got;
  }
  out.close();
  if (!out) return MakeError(Errc::kIo, "artifact spool " + path.string() + ": write failed");
  spool.sha1 = sha1.FinalHex();
  spool.md5 = md5.FinalHex();
  spool.sha256 = sha256.FinalHex();
  spool.rest = std::make_unique<Remainder>(std::move(body), spool.spooled);
  return spool;
}

Result<ByteSourcePtr> ReplaySpool(SpooledArtifact& spool, std::uint64_t offset) {
  std::vector<ByteSourcePtr> parts;
  if (offset < spool.spooled) {
    OTASIM_TRY(ByteSourcePtr head, OpenFileSource(spool.path, offset, spool.spooled - offset));
    parts.push_back(std::move(head));
  }
  parts.push_back(std::move(spool.rest));
  return ConcatSource(std::move(parts));
}

}  // namespace otasim::servers::hawkbit_ddi
