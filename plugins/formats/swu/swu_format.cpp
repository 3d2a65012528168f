// format.swu: a release as SWUpdate's signed .swu — a cpio archive of sw-description, its CMS
// signature, then the image. Rendered per request from the envelope the attackers left, so
// every content attack reaches the device as the corresponding .swu (README.md: the mapping).
#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "cpio.hpp"
#include "crypto/cms.hpp"
#include "otasim/byte_source.hpp"
#include "otasim/manifest.hpp"
#include "otasim/plugin.hpp"
#include "sw_description.hpp"

namespace otasim::formats::swu {
namespace {

constexpr std::string_view kDescriptionName = "sw-description";
constexpr std::string_view kSignatureName = "sw-description.sig";

class SwuFormat final : public ReleaseFormat {
 public:
  explicit SwuFormat(const Params& params)
      : slot_{.hardware = params.GetString("hardware"),
              .device_class = params.GetString("device_class"),
              .handler = params.GetString("handler"),
              .slot_path = params.GetString("slot_path"),
              .image_name = params.GetString("image_name")} {}

  static TypeInfo Describe() {
    return {.id = "format.swu",
            .version = "1.0.0",
            .summary = "SWUpdate .swu: cpio of a CMS-signed sw-description and the image",
            .params = {{.name = "slot_path",
                        .type = ParamType::kString,
                        .default_value = "/tmp/otasim-slot.bin",
                        .help = "where the handler writes the image (the device's slot)"},
                       {.name = "hardware",
                        .type = ParamType::kString,
                        .default_value = "1.0",
                        .help = "hardware-compatibility revision of the device class (-H board:REV)"},
                       {.name = "device_class",
                        .type = ParamType::kString,
                        .default_value = "otasim-class-a",
                        .help = "the manifest class_id rendered as `hardware`; other classes "
                                "render as their own text"},
                       {.name = "handler",
                        .type = ParamType::kEnum,
                        .default_value = "rawfile",
                        .help = "SWUpdate handler: rawfile (path) or raw (device)",
                        .choices = {"rawfile", "raw"}},
                       {.name = "image_name",
                        .type = ParamType::kString,
                        .default_value = "firmware.bin",
                        .help = "name of the image member in the archive"}},
            .threats = {},
            .protocols = {}};
  }

  bool SingleFile() const override { return true; }
  bool CarriesRootDocuments() const override { return false; }

  Result<std::string> TrustAnchorPem(FormatContext& context) override {
    OTASIM_TRY(SigningIdentity vendor, context.Identity("vendor"));
    return vendor.cert_pem;
  }

  Result<RenderedRelease> Render(FormatContext& context, const std::string& envelope,
                                 const Release& original) override {
    OTASIM_TRY(SignedDescription signed_description, Describe(context, envelope, original));
    const std::uint64_t image_size = signed_description.image_size;
    OTASIM_TRY(std::uint32_t checksum, ImageChecksum(original.image_path, image_size));

    RenderedRelease out;
    OTASIM_TRY(std::string description_member,
               cpio::Member(kDescriptionName, signed_description.text, 1));
    OTASIM_TRY(std::string signature_member,
               cpio::Member(kSignatureName, signed_description.signature, 2));
    OTASIM_TRY(std::string image_header,
               cpio::MemberHeader(slot_.image_name, image_size, checksum, 3));
    out.head = description_member + signature_member + image_header;
    out.tail = cpio::MemberPadding(image_size) + cpio::Trailer();
    out.image_size = image_size;
    out.content_type = "application/octet-stream";
    out.file_name = original.name + ".swu";
    return out;
  }

 private:
  struct SignedDescription {
    std::string text;
    std::string signature;  // DER
    std::uint64_t image_size = 0;
  };

  // The description and its signature:
  // - signed by a key the session knows (vendor, rogue, another vendor key): that key's
  //   identity signs the rendered description;
  // - no signature at all, or only empty ones (`alg: none`): an empty signature member;
  // - the honest manifest's very bytes, signed by a key the session does not know (re-signed
  //   by an attacker, its key perhaps carried in-band): signed by an identity nobody trusts;
  // - signed by no known key and altered (changed after signing): the vendor's signature of
  //   what the honest release says, beside the altered description, as an attacker editing a
  //   signed .swu would serve it;
  // - not a manifest envelope at all: the raw bytes as sw-description (not libconfig) with the
  //   vendor's signature of the honest description; a correct device refuses both.
  Result<SignedDescription> Describe(FormatContext& context, const std::string& envelope,
                                     const Release& original) {
    std::optional<manifest::Manifest> served;
    auto parsed = manifest::ParseEnvelope(envelope);
    if (parsed.ok()) {
      auto m = manifest::ParseManifest(parsed.value().signed_bytes);
      if (m.ok()) served = std::move(m.value());
    }
    const std::string honest_text = WriteSwDescription(FromManifest(original.manifest, slot_));
    SignedDescription out;
    if (!served) {
      out.text = envelope;
      out.image_size = original.manifest.image.size;
      OTASIM_TRY(SigningIdentity vendor, context.Identity("vendor"));
      OTASIM_TRY(out.signature, Sign(honest_text, vendor));
      return out;
    }
    out.text = WriteSwDescription(FromManifest(*served, slot_));
    out.image_size = served->image.size;
    auto signer = context.SignerOf(envelope);
    if (signer.ok()) {
      OTASIM_TRY(out.signature, Sign(out.text, *signer));
      return out;
    }
    if (signer.error().code() != Errc::kSignature) return signer.error().WithContext("format.swu");
    const auto& signatures = parsed.value().signatures;
    if (std::all_of(signatures.begin(), signatures.end(),
                    [](const manifest::SignatureEntry& e) { return e.sig.empty(); })) {
      return out;  // unsigned: nothing to put in sw-description.sig
    }
    auto honest = manifest::ParseEnvelope(original.envelope);
    if (honest.ok() && honest.value().signed_bytes == parsed.value().signed_bytes) {
      OTASIM_TRY(SigningIdentity stranger, context.Identity("unknown-signer"));
      OTASIM_TRY(out.signature, Sign(out.text, stranger));
      return out;
    }
    OTASIM_TRY(SigningIdentity vendor, context.Identity("vendor"));
    OTASIM_TRY(out.signature, Sign(honest_text, vendor));
    return out;
  }

  // ECDSA signatures differ each time, and so would their length: one signature per identity
  // and text keeps a release's file the same from request to request, as Range resume needs.
  Result<std::string> Sign(const std::string& text, const SigningIdentity& identity) {
    std::lock_guard lock(mutex_);
    auto key = std::make_pair(identity.cert_pem, text);
    if (auto it = signatures_.find(key); it != signatures_.end()) return it->second;
    auto der = crypto::CmsSignDetached(text, identity.cert_pem, identity.key_pem);
    if (!der) return der.error().WithContext("format.swu: signing as '" + identity.name + "'");
    std::string signature(der->begin(), der->end());
    signatures_.emplace(std::move(key), signature);
    return signature;
  }

  // The cpio checksum of the image member: SWUpdate checks it, so it must be the sum of the
  // bytes the head declares — the honest image's first `size` bytes (an attacker's changed
  // bytes then fail the checksum or the sha256, either a refusal). Read once per image and size.
  Result<std::uint32_t> ImageChecksum(const std::filesystem::path& path, std::uint64_t size) {
    std::lock_guard lock(mutex_);
    auto key = std::make_pair(path.string(), size);
    if (auto it = checksums_.find(key); it != checksums_.end()) return it->second;
    std::error_code ec;
    const std::uint64_t file_size = std::filesystem::file_size(path, ec);
    if (ec) return MakeError(Errc::kIo, "format.swu: image '" + path.string() + "': " + ec.message());
    OTASIM_TRY(ByteSourcePtr source, OpenFileSource(path, 0, std::min(size, file_size)));
    cpio::Checksum sum;
    std::vector<std::uint8_t> buffer(64 * 1024);
    while (true) {
      OTASIM_TRY(std::size_t n, source->Read(buffer));
      if (n == 0) break;
      sum.Update(std::span<const std::uint8_t>(buffer.data(), n));
    }
    checksums_.emplace(std::move(key), sum.value());
    return sum.value();
  }

  DeviceSlot slot_;
  std::mutex mutex_;  // Render runs on server threads
  std::map<std::pair<std::string, std::uint64_t>, std::uint32_t> checksums_;
  std::map<std::pair<std::string, std::string>, std::string> signatures_;  // (cert, text) -> DER
};

}  // namespace
}  // namespace otasim::formats::swu

OTASIM_PLUGIN("format.swu", "1.0.0") { registrar.Add<otasim::formats::swu::SwuFormat>(); }
