// attack.wrong-class: a validly signed release built for another device class is offered.
#include "common/release_attack.hpp"
#include "otasim/plugin.hpp"

namespace otasim::attackers {
namespace {

class WrongClass final : public ServeReleaseManifest {
 public:
  explicit WrongClass(const Params& params)
      : ServeReleaseManifest("wrong-class", params.GetString("release")) {}

  static TypeInfo Describe() {
    return {.id = "attack.wrong-class",
            .version = "1.0.0",
            .summary = "serve a validly signed release built for another device class",
            .params = {{.name = "release",
                        .type = ParamType::kString,
                        .help = "a release the scenario built for another class (or vendor)",
                        .required = true}},
            .threats = {"wrong-class", "THREAT.IMG.INCOMPATIBLE", "REQ.SEC.COMPATIBLE"}};
  }
};

}  // namespace
}  // namespace otasim::attackers

OTASIM_PLUGIN("attack.wrong-class", "1.0.0") { registrar.Add<otasim::attackers::WrongClass>(); }
