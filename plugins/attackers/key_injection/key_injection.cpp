// attack.key-injection: a compromised repository tries to get its own key trusted — by sending
// it in-band, by declaring the signature algorithm weak enough to skip, or by publishing a root
// document of its own.
#include <chrono>
#include <string>

#include "common/envelope_edit.hpp"
#include "otasim/plugin.hpp"
#include "otasim/root_document.hpp"
#include "otasim/time.hpp"

namespace otasim::attackers {
namespace {

enum class Mode { kInBandKey, kWeakAlg, kUnsignedRoot };

Mode ParseMode(const std::string& name) {
  if (name == "in-band-key") return Mode::kInBandKey;
  if (name == "weak-alg") return Mode::kWeakAlg;
  return Mode::kUnsignedRoot;  // Params::Bind admits only the enum's choices
}

class KeyInjection final : public Attacker {
 public:
  explicit KeyInjection(const Params& params)
      : mode_name_(params.GetString("mode")),
        mode_(ParseMode(mode_name_)),
        alg_(params.GetString("alg")),
        root_version_(params.GetString("root_version")) {}

  static TypeInfo Describe() {
    return {
        .id = "attack.key-injection",
        .version = "1.0.0",
        .summary = "get a rogue key trusted: in-band key, weak signature algorithm, or a root "
                   "update signed only by itself",
        .params =
            {{.name = "mode",
              .type = ParamType::kEnum,
              .help = "in-band-key (the envelope's keys carry the rogue public key, which signs) | "
                      "weak-alg (every signature relabelled with `alg`) | unsigned-root (a root "
                      "update listing only the rogue key, signed only by it)",
              .choices = {"in-band-key", "weak-alg", "unsigned-root"},
              .required = true},
             {.name = "alg",
              .type = ParamType::kEnum,
              .default_value = "none",
              .help = "weak-alg: none (empty signature) | rsa-pkcs1-sha1 | hmac-sha256 (the "
                      "signature bytes are kept) | ecdsa-p256-sha256 (a real algorithm that does "
                      "not match an Ed25519 key)",
              .choices = {"none", "rsa-pkcs1-sha1", "hmac-sha256", "ecdsa-p256-sha256"}},
             {.name = "root_version",
              .type = ParamType::kString,
              .default_value = "2",
              .help = "unsigned-root: the version the forged root claims (the device's next)"}},
        .threats = {"key-injection", "THREAT.KEY.EXPOSURE", "THREAT.IMG.NON_AUTH"}};
  }

  Status Prepare(SessionContext& session) override {
    if (mode_ != Mode::kWeakAlg) {
      auto key = session.RogueSigningKey();
      if (!key) return key.error().WithContext("attack.key-injection");
    }
    if (mode_ == Mode::kUnsignedRoot) {
      if (auto version = RootVersion(); !version) return version.error();
    }
    return {};
  }

  Status OnManifest(SessionContext& session, const RequestInfo& request,
                    ManifestDelivery& delivery) override {
    if (delivery.envelope.empty()) {
      return MakeError(Errc::kNotFound, "attack.key-injection: there is no manifest to attack");
    }
    auto injected = Inject(session, delivery.envelope);
    if (!injected) return injected.error().WithContext("attack.key-injection " + mode_name_);
    delivery.envelope = std::move(injected).value();
    nlohmann::json details = {{"mode", mode_name_}, {"request_index", request.index}};
    if (mode_ == Mode::kWeakAlg) details["alg"] = alg_;
    if (mode_ == Mode::kUnsignedRoot) details["root_version"] = root_version_;
    session.timeline().Add("attacker", "key-injection", std::move(details));
    return {};
  }

 private:
  Result<std::uint64_t> RootVersion() const {
    try {
      std::size_t used = 0;
      const auto version = std::stoull(root_version_, &used);
      if (used == root_version_.size() && version >= 1) return static_cast<std::uint64_t>(version);
    } catch (const std::exception&) {
    }
    return MakeError(Errc::kInvalidArgument,
                     "attack.key-injection: root_version '" + root_version_ + "' is not a version >= 1");
  }

  Result<std::string> Inject(SessionContext& session, const std::string& original) {
    OTASIM_TRY(OpenEnvelope opened, OpenForEdit(original));
    nlohmann::json& envelope = opened.envelope;
    switch (mode_) {
      case Mode::kInBandKey: {
        OTASIM_TRY(crypto::PrivateKey rogue, session.RogueSigningKey());
        envelope["keys"] = nlohmann::json::array({rogue.Public().ToPem()});
        OTASIM_CHECK(SignOnlyWith(envelope, rogue));
        break;
      }
      case Mode::kWeakAlg: {
        if (!envelope.contains("signatures") || !envelope["signatures"].is_array() ||
            envelope["signatures"].empty()) {
          return MakeError(Errc::kNotFound, "the manifest carries no signature to relabel");
        }
        // The key ids stay the vendor's: the device is asked to trust its own key under an
        // algorithm it must refuse.
        for (auto& signature : envelope["signatures"]) {
          signature["alg"] = alg_;
          if (alg_ == "none") signature["sig"] = "";
        }
        break;
      }
      case Mode::kUnsignedRoot: {
        OTASIM_TRY(crypto::PrivateKey rogue, session.RogueSigningKey());
        OTASIM_TRY(std::uint64_t version, RootVersion());
        OTASIM_TRY(SysTime now, ParseRfc3339(session.DeviceNow()));
        manifest::Root root;
        root.version = version;
        root.expires = FormatRfc3339(now + std::chrono::days(365));
        root.keys = {manifest::MakeRootKey(rogue.Public())};
        OTASIM_TRY(std::string document, manifest::SignRoot(root, std::span(&rogue, 1)));
        envelope["root_updates"] = nlohmann::json::array({nlohmann::json::parse(document)});
        OTASIM_CHECK(SignOnlyWith(envelope, rogue));
        break;
      }
    }
    return Serialize(envelope);
  }

  std::string mode_name_;
  Mode mode_;
  std::string alg_;
  std::string root_version_;
};

}  // namespace
}  // namespace otasim::attackers

OTASIM_PLUGIN("attack.key-injection", "1.0.0") {
  registrar.Add<otasim::attackers::KeyInjection>();
}
