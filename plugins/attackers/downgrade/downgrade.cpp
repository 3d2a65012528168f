// attack.downgrade: a compromised repository offers an older, validly signed release.
#include "common/release_attack.hpp"
#include "otasim/plugin.hpp"

namespace otasim::attackers {
namespace {

class Downgrade final : public ServeReleaseManifest {
 public:
  explicit Downgrade(const Params& params)
      : ServeReleaseManifest("downgrade", params.GetString("release")) {}

  static TypeInfo Describe() {
    return {.id = "attack.downgrade",
            .version = "1.0.0",
            .summary = "serve an older, validly signed release instead of the published one",
            .params = {{.name = "release",
                        .type = ParamType::kString,
                        .help = "the older release whose manifest is served",
                        .required = true}},
            .threats = {"rollback", "THREAT.IMG.EXPIRED", "REQ.SEC.SEQUENCE"}};
  }
};

}  // namespace
}  // namespace otasim::attackers

OTASIM_PLUGIN("attack.downgrade", "1.0.0") { registrar.Add<otasim::attackers::Downgrade>(); }
