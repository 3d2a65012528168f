// fault.power-loss: the device loses power at a chosen point of its update. The target adapter
// inflicts the cut (the reference device honours OTASIM_POWER_CUT=STAGE:PERCENT); this type
// only says where.
#include <string>

#include "otasim/plugin.hpp"

namespace otasim::faults {
namespace {

class PowerLoss final : public Fault {
 public:
  explicit PowerLoss(const Params& params)
      : stage_(params.GetString("stage")), percent_(params.GetPercent("at")) {
    if (stage_ == "commit") percent_ = 0;  // the commit is a single atomic switch
  }

  static TypeInfo Describe() {
    return {.id = "fault.power-loss",
            .version = "1.0.0",
            .summary = "cut the device's power at a chosen stage of the update",
            .params = {{.name = "stage",
                        .type = ParamType::kEnum,
                        .default_value = "install",
                        .help = "download: after `at` % of the image was stored; install: `at` % "
                                "into the install; commit: just before the boot switch",
                        .choices = {"download", "install", "commit"}},
                       {.name = "at",
                        .type = ParamType::kPercent,
                        .default_value = "50",
                        .help = "how far into the stage (ignored for commit)"}},
            .threats = {"power-loss", "bricking"}};
  }

  Status Prepare(SessionContext& session) override {
    session.timeline().Add("fault", "power-loss-planned",
                           {{"stage", stage_}, {"percent", percent_}});
    return {};
  }

  std::optional<PowerCut> PowerCutPlan() const override { return PowerCut{stage_, percent_}; }

 private:
  std::string stage_;
  double percent_;
};

}  // namespace
}  // namespace otasim::faults

OTASIM_PLUGIN("fault.power-loss", "1.0.0") { registrar.Add<otasim::faults::PowerLoss>(); }
