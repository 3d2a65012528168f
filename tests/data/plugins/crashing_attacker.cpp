// A test plugin that misbehaves in OnManifest (param `how`): `segv` kills the whole process
// (the finished scenarios must survive in report.partial.json), `throw` throws (the scenario
// must be an `error` carrying the message).
#include <csignal>
#include <stdexcept>

#include "otasim/plugin.hpp"

namespace {

class CrashingAttacker : public otasim::Attacker {
 public:
  explicit CrashingAttacker(const otasim::Params& params) : how_(params.GetString("how")) {}

  static otasim::TypeInfo Describe() {
    otasim::TypeInfo info;
    info.id = "attack.test-crash";
    info.version = "0.1.0";
    info.summary = "crashes or throws in OnManifest (a test plugin)";
    info.params = {{"how", otasim::ParamType::kEnum, "segv", "what OnManifest does",
                    {"segv", "throw"}}};
    info.threats = {"none"};
    return info;
  }

  otasim::Status OnManifest(otasim::SessionContext&, const otasim::RequestInfo&,
                            otasim::ManifestDelivery&) override {
    if (how_ == "throw") throw std::runtime_error("manifest hook exploded on purpose");
    std::raise(SIGSEGV);
    return {};
  }

 private:
  std::string how_;
};

}  // namespace

OTASIM_PLUGIN("test.crashing", "0.1.0") { registrar.Add<CrashingAttacker>(); }
