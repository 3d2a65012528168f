// attack.freeze: a repository frozen in time keeps offering a stale release's manifest; the
// scenario step moves the device's clock past that manifest's expiry.
#include "common/release_attack.hpp"
#include "otasim/plugin.hpp"

namespace otasim::attackers {
namespace {

class Freeze final : public ServeReleaseManifest {
 public:
  explicit Freeze(const Params& params)
      : ServeReleaseManifest("freeze", params.GetString("release")) {}

  static TypeInfo Describe() {
    return {.id = "attack.freeze",
            .version = "1.0.0",
            .summary = "keep serving a stale (expired) release's manifest",
            .params = {{.name = "release",
                        .type = ParamType::kString,
                        .help = "the stale release whose manifest keeps being served",
                        .required = true}},
            .threats = {"freeze", "THREAT.IMG.EXPIRED.OFFLINE", "REQ.SEC.EXP"}};
  }

 protected:
  // The evidence that matters: the manifest's expiry against the device's clock.
  nlohmann::json Details(SessionContext& session, const Release& release) const override {
    nlohmann::json details = ServeReleaseManifest::Details(session, release);
    details["device_now"] = session.DeviceNow();
    return details;
  }
};

}  // namespace
}  // namespace otasim::attackers

OTASIM_PLUGIN("attack.freeze", "1.0.0") { registrar.Add<otasim::attackers::Freeze>(); }
