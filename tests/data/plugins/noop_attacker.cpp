// A minimal external plugin, built as a .so the way a researcher would: it serves everything
// unchanged and notes in the timeline that it saw the manifest.
#include "otasim/plugin.hpp"

namespace {

class NoopAttacker : public otasim::Attacker {
 public:
  explicit NoopAttacker(const otasim::Params& params) : label_(params.GetString("label")) {}

  static otasim::TypeInfo Describe() {
    otasim::TypeInfo info;
    info.id = "attack.test-noop";
    info.version = "0.1.0";
    info.summary = "changes nothing (a test plugin)";
    info.params = {{"label", otasim::ParamType::kString, "noop", "text written to the timeline"}};
    info.threats = {"none"};
    return info;
  }

  otasim::Status OnManifest(otasim::SessionContext& session, const otasim::RequestInfo&,
                            otasim::ManifestDelivery&) override {
    session.timeline().Add("attacker", "test-noop", {{"label", label_}});
    return {};
  }

 private:
  std::string label_;
};

}  // namespace

OTASIM_PLUGIN("test.noop", "0.1.0") { registrar.Add<NoopAttacker>(); }
