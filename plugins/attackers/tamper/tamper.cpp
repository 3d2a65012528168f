// attack.tamper: a compromised mirror alters what it serves — one bit of the image, a field of
// the signed manifest, or the signatures themselves.
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "common/byte_sources.hpp"
#include "common/envelope_edit.hpp"
#include "otasim/plugin.hpp"

namespace otasim::attackers {
namespace {

enum class Mode { kImageBitFlip, kManifestField, kStripSignature, kCorruptSignature, kRogueKey };

Mode ParseMode(const std::string& name) {
  if (name == "image-bit-flip") return Mode::kImageBitFlip;
  if (name == "manifest-field") return Mode::kManifestField;
  if (name == "strip-signature") return Mode::kStripSignature;
  if (name == "corrupt-signature") return Mode::kCorruptSignature;
  return Mode::kRogueKey;  // Params::Bind admits only the enum's choices
}

std::optional<std::string> Optional(const Params& params, const std::string& name) {
  if (!params.Has(name)) return std::nullopt;
  return params.GetString(name);
}

class Tamper final : public Attacker {
 public:
  explicit Tamper(const Params& params)
      : mode_name_(params.GetString("mode")),
        mode_(ParseMode(mode_name_)),
        at_(params.GetPercent("at")),
        field_(Optional(params, "field")),
        value_(Optional(params, "value")),
        release_name_(Optional(params, "release")) {}

  static TypeInfo Describe() {
    return {
        .id = "attack.tamper",
        .version = "1.0.0",
        .summary = "flip an image bit, edit a signed manifest field, strip, corrupt or forge "
                   "the signature",
        .params =
            {{.name = "mode",
              .type = ParamType::kEnum,
              .help = "image-bit-flip | manifest-field | strip-signature | corrupt-signature | "
                      "rogue-key (re-sign with a key no device trusts)",
              .choices = {"image-bit-flip", "manifest-field", "strip-signature",
                          "corrupt-signature", "rogue-key"},
              .required = true},
             {.name = "at",
              .type = ParamType::kPercent,
              .default_value = "50",
              .help = "image-bit-flip: where in the image, the byte at floor(size*at/100)"},
             {.name = "field",
              .type = ParamType::kString,
              .help = "manifest-field (and optionally rogue-key): dotted path into the manifest, "
                      "e.g. sequence, image.size, class_id, expires"},
             {.name = "value",
              .type = ParamType::kString,
              .help = "the new field value: JSON if it parses (5, true), else a string"},
             {.name = "release",
              .type = ParamType::kString,
              .help = "the release to tamper with; default: whatever the server is serving"}},
        .threats = {"tampering", "THREAT.IMG.NON_AUTH", "THREAT.MFST.MODIFICATION",
                    "THREAT.NET.ONPATH"}};
  }

  Status Prepare(SessionContext& session) override {
    OTASIM_CHECK(CheckEditParams());
    if (release_name_ && session.FindRelease(*release_name_) == nullptr) {
      return MakeError(Errc::kNotFound,
                       "attack.tamper: no release named \"" + *release_name_ + "\"");
    }
    if (mode_ == Mode::kRogueKey) {
      auto key = session.RogueSigningKey();
      if (!key) return key.error().WithContext("attack.tamper");
    }
    return {};
  }

  Status OnManifest(SessionContext& session, const RequestInfo& request,
                    ManifestDelivery& delivery) override {
    if (mode_ == Mode::kImageBitFlip) return {};
    std::string original = delivery.envelope;
    if (release_name_) {
      const Release* release = session.FindRelease(*release_name_);
      if (release == nullptr) {
        return MakeError(Errc::kNotFound,
                         "attack.tamper: no release named \"" + *release_name_ + "\"");
      }
      original = release->envelope;
    }
    if (original.empty()) {
      return MakeError(Errc::kNotFound, "attack.tamper: there is no manifest to tamper with");
    }
    auto tampered = Edit(session, original);
    if (!tampered) return tampered.error().WithContext("attack.tamper " + mode_name_);
    delivery.envelope = std::move(tampered).value();

    nlohmann::json details = {{"mode", mode_name_}, {"request_index", request.index}};
    if (release_name_) details["release"] = *release_name_;
    if (field_) details["field"] = *field_;
    if (value_) details["value"] = *value_;
    session.timeline().Add("attacker", "tamper", std::move(details));
    return {};
  }

  Status OnImage(SessionContext& session, const RequestInfo& request,
                 ImageDelivery& delivery) override {
    if (mode_ != Mode::kImageBitFlip || delivery.release == nullptr || !delivery.source) return {};
    if (release_name_ && delivery.release->name != *release_name_) return {};
    std::uint64_t size = ImageSize(*delivery.release);
    if (size == 0) return {};
    auto position = static_cast<std::uint64_t>(std::floor(static_cast<double>(size) * at_ / 100.0));
    if (position >= size) position = size - 1;  // at=100: the last byte
    nlohmann::json details = {{"mode", mode_name_},
                              {"release", delivery.release->name},
                              {"image_offset", position},
                              {"mask", kMask},
                              {"response_offset", delivery.offset},
                              {"request_index", request.index}};
    if (position < delivery.offset) {
      details["flipped"] = false;  // a resumed download starts after the byte
    } else {
      delivery.source = FlipBits(std::move(delivery.source), position - delivery.offset, kMask);
      details["flipped"] = true;
    }
    session.timeline().Add("attacker", "tamper", std::move(details));
    return {};
  }

 private:
  static constexpr std::uint8_t kMask = 0x01;  // the lowest bit of the chosen byte

  // manifest-field, and rogue-key when it edits too, need a field and a value.
  bool EditsField() const {
    return mode_ == Mode::kManifestField || (mode_ == Mode::kRogueKey && field_);
  }
  Status CheckEditParams() const {
    if (EditsField() && (!field_ || !value_)) {
      return MakeError(Errc::kInvalidArgument,
                       "attack.tamper: mode " + mode_name_ + " needs both `field` and `value`");
    }
    return {};
  }

  Result<std::string> Edit(SessionContext& session, const std::string& original) {
    OTASIM_CHECK(CheckEditParams());
    OTASIM_TRY(OpenEnvelope opened, OpenForEdit(original));
    if (EditsField()) {
      OTASIM_CHECK(SetField(opened.manifest, *field_, ParseValue(*value_)));
      OTASIM_CHECK(StoreManifest(opened));
    }
    switch (mode_) {
      case Mode::kManifestField:
        break;
      case Mode::kStripSignature:
        opened.envelope["signatures"] = nlohmann::json::array();
        break;
      case Mode::kCorruptSignature:
        OTASIM_CHECK(CorruptFirstSignature(opened.envelope));
        break;
      case Mode::kRogueKey: {
        OTASIM_TRY(crypto::PrivateKey key, session.RogueSigningKey());
        OTASIM_CHECK(SignOnlyWith(opened.envelope, key));
        break;
      }
      case Mode::kImageBitFlip:
        break;
    }
    return Serialize(opened.envelope);
  }

  std::string mode_name_;
  Mode mode_;
  double at_;
  std::optional<std::string> field_;
  std::optional<std::string> value_;
  std::optional<std::string> release_name_;
};

}  // namespace
}  // namespace otasim::attackers

OTASIM_PLUGIN("attack.tamper", "1.0.0") { registrar.Add<otasim::attackers::Tamper>(); }
