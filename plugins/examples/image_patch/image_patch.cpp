// attack.image-patch — an out-of-tree example attacker (docs/plugin-guide.md).
//
// A compromised mirror plants an implant: it overwrites a few bytes of the firmware image at a
// chosen offset, as an attacker patching one instruction or a configuration constant would.
// With `fix_digest` it also rewrites the image digest in the manifest so that the two agree,
// keeping the vendor's (now wrong) signature. The two variants test two different defences:
//   fix_digest: false  the image digest check (reference flaw skip-digest installs it)
//   fix_digest: true   the manifest signature check (reference flaw skip-signature installs it)
//
// What it shows a plugin author: typed documented parameters, checking them in Prepare(),
// streaming an image through a wrapping ByteSource (never holding it whole), coping with
// resumed (Range) downloads, editing a manifest with the SDK, and leaving evidence in the
// timeline. It includes only SDK headers, so it builds against an installed otasim.
#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "otasim/crypto.hpp"
#include "otasim/manifest.hpp"
#include "otasim/plugin.hpp"

namespace image_patch {
namespace {

using otasim::ByteSource;
using otasim::ByteSourcePtr;
using otasim::Errc;
using otasim::MakeError;
using otasim::Result;
using otasim::Status;

// Passes the inner stream through, replacing the bytes at absolute image positions
// [patch_offset, patch_offset + patch.size()). `stream_offset` is the image position of the
// stream's first byte (non-zero when the device resumes with a Range request).
class PatchingSource final : public ByteSource {
 public:
  PatchingSource(ByteSourcePtr inner, std::uint64_t stream_offset, std::uint64_t patch_offset,
                 otasim::crypto::Bytes patch)
      : inner_(std::move(inner)),
        position_(stream_offset),
        patch_offset_(patch_offset),
        patch_(std::move(patch)) {}

  Result<std::size_t> Read(std::span<std::uint8_t> out) override {
    auto read = inner_->Read(out);
    if (!read) return read;
    const std::size_t n = *read;
    ApplyPatch(position_, out.first(n), patch_offset_, patch_);
    position_ += n;
    return n;
  }
  std::optional<std::uint64_t> Length() const override { return inner_->Length(); }

  // Overwrites the part of `chunk` (which starts at image position `chunk_start`) that
  // overlaps the patch. Shared with the digest computation so both see the same bytes.
  static void ApplyPatch(std::uint64_t chunk_start, std::span<std::uint8_t> chunk,
                         std::uint64_t patch_offset, const otasim::crypto::Bytes& patch) {
    const std::uint64_t begin = std::max(chunk_start, patch_offset);
    const std::uint64_t end = std::min(chunk_start + chunk.size(), patch_offset + patch.size());
    for (std::uint64_t at = begin; at < end; ++at) {
      chunk[at - chunk_start] = patch[at - patch_offset];
    }
  }

 private:
  ByteSourcePtr inner_;
  std::uint64_t position_;
  std::uint64_t patch_offset_;
  otasim::crypto::Bytes patch_;
};

class ImagePatch final : public otasim::Attacker {
 public:
  explicit ImagePatch(const otasim::Params& params)
      : offset_(params.GetBytes("offset")),
        patch_hex_(params.GetString("patch")),
        fix_digest_(params.GetBool("fix_digest")),
        release_name_(params.Has("release") ? params.GetString("release") : "") {}

  static otasim::TypeInfo Describe() {
    using otasim::ParamType;
    return {
        .id = "attack.image-patch",
        .version = "1.0.0",
        .summary = "example plugin: overwrite image bytes at an offset (an implant), "
                   "optionally with a matching digest in the vendor-signed manifest",
        .params = {{.name = "offset",
                    .type = ParamType::kBytes,
                    .default_value = "4KiB",
                    .help = "image position of the first patched byte (512, 4KiB, ...); the "
                            "patch must fit inside the image"},
                   {.name = "patch",
                    .type = ParamType::kString,
                    .default_value = "deadbeef",
                    .help = "the bytes written there, as hex (1 to 64 bytes)"},
                   {.name = "fix_digest",
                    .type = ParamType::kBool,
                    .default_value = "false",
                    .help = "also set the manifest's image.digest to the patched image's, keeping "
                            "the vendor signature (tests the signature check, not the digest)"},
                   {.name = "release",
                    .type = ParamType::kString,
                    .help = "the release to patch; default: the one the server publishes"}},
        .threats = {"tampering", "implant", "THREAT.IMG.NON_AUTH", "THREAT.MFST.MODIFICATION"}};
  }

  // Called before the device acts in each step: check everything that can be wrong here, so a
  // bad scenario stops with a clear error instead of a half-done attack.
  Status Prepare(otasim::SessionContext& session) override {
    auto patch = otasim::crypto::HexDecode(patch_hex_);
    if (!patch || patch->empty() || patch->size() > kMaxPatchBytes) {
      return MakeError(Errc::kInvalidArgument,
                       "attack.image-patch: patch '" + patch_hex_ + "' is not 1 to " +
                           std::to_string(kMaxPatchBytes) + " bytes of hex");
    }
    patch_ = std::move(*patch);
    target_ = release_name_.empty() ? session.PublishedRelease() : session.FindRelease(release_name_);
    if (target_ == nullptr) {
      return MakeError(Errc::kNotFound, release_name_.empty()
                                            ? "attack.image-patch: the step serves no release"
                                            : "attack.image-patch: no release named \"" +
                                                  release_name_ + "\"");
    }
    const std::uint64_t size = target_->manifest.image.size;
    if (offset_ > size || patch_.size() > size - offset_) {
      return MakeError(Errc::kInvalidArgument,
                       "attack.image-patch: " + std::to_string(patch_.size()) + " bytes at offset " +
                           std::to_string(offset_) + " do not fit in release " + target_->name +
                           "'s image of " + std::to_string(size) + " bytes");
    }
    if (fix_digest_) {
      auto digest = PatchedDigest(*target_);
      if (!digest) return digest.error();
      patched_digest_ = std::move(*digest);
    }
    return {};
  }

  Status OnManifest(otasim::SessionContext& session, const otasim::RequestInfo& request,
                    otasim::ManifestDelivery& delivery) override {
    // Only the target release's genuine manifest is edited; anything else passes untouched.
    if (!fix_digest_ || delivery.envelope != target_->envelope) return {};
    auto envelope = otasim::manifest::ParseEnvelope(delivery.envelope);
    if (!envelope) return envelope.error().ToError().WithContext("attack.image-patch");
    auto manifest = otasim::manifest::ParseManifest(envelope.value().signed_bytes);
    if (!manifest) return manifest.error().ToError().WithContext("attack.image-patch");
    manifest.value().image.digest = patched_digest_;
    // The vendor's signatures stay: they no longer match the edited bytes.
    envelope.value().signed_bytes = otasim::manifest::ToJson(manifest.value());
    delivery.envelope = otasim::manifest::ToJson(envelope.value());
    session.timeline().Add("attacker", "image-patch-manifest",
                           {{"release", target_->name},
                            {"request_index", request.index},
                            {"digest", patched_digest_}});
    return {};
  }

  Status OnImage(otasim::SessionContext& session, const otasim::RequestInfo& request,
                 otasim::ImageDelivery& delivery) override {
    if (delivery.release != target_ || !delivery.source) return {};
    // Evidence first: what was patched where, and whether this response reached the patch
    // (a resumed download may start after it).
    const bool reaches_patch = delivery.offset < offset_ + patch_.size();
    session.timeline().Add("attacker", "image-patch",
                           {{"release", target_->name},
                            {"request_index", request.index},
                            {"image_offset", offset_},
                            {"patch", patch_hex_},
                            {"response_offset", delivery.offset},
                            {"patched", reaches_patch}});
    if (reaches_patch) {
      delivery.source = std::make_unique<PatchingSource>(std::move(delivery.source),
                                                         delivery.offset, offset_, patch_);
    }
    return {};
  }

 private:
  static constexpr std::size_t kMaxPatchBytes = 64;

  // SHA-256 of the image as the device will receive it, streamed from the release's file.
  Result<std::string> PatchedDigest(const otasim::Release& release) const {
    auto source = otasim::OpenFileSource(release.image_path);
    if (!source) return source.error().WithContext("attack.image-patch: release " + release.name);
    otasim::crypto::Sha256 hash;
    std::array<std::uint8_t, 64 * 1024> buffer{};
    std::uint64_t position = 0;
    for (;;) {
      auto read = (*source)->Read(buffer);
      if (!read) return read.error();
      if (*read == 0) break;
      const std::span<std::uint8_t> chunk(buffer.data(), *read);
      PatchingSource::ApplyPatch(position, chunk, offset_, patch_);
      hash.Update(chunk);
      position += *read;
    }
    return otasim::crypto::HexEncode(hash.Final());
  }

  std::uint64_t offset_;
  std::string patch_hex_;
  bool fix_digest_;
  std::string release_name_;
  // Resolved in Prepare().
  otasim::crypto::Bytes patch_;
  const otasim::Release* target_ = nullptr;
  std::string patched_digest_;
};

}  // namespace
}  // namespace image_patch

OTASIM_PLUGIN("example.image-patch", "1.0.0") { registrar.Add<image_patch::ImagePatch>(); }
