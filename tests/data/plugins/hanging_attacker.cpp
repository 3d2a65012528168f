// A test plugin whose hook never returns (param `hook`: in Prepare, or in OnImage): the run
// must give the scenario `error` naming the plugin and the hook, and go on.
#include <chrono>
#include <thread>

#include "otasim/plugin.hpp"

namespace {

[[noreturn]] void SleepForever() {
  while (true) std::this_thread::sleep_for(std::chrono::hours(1));
}

class HangingAttacker : public otasim::Attacker {
 public:
  explicit HangingAttacker(const otasim::Params& params) : hook_(params.GetString("hook")) {}

  static otasim::TypeInfo Describe() {
    otasim::TypeInfo info;
    info.id = "attack.test-hang";
    info.version = "0.1.0";
    info.summary = "never returns from one hook (a test plugin)";
    info.params = {{"hook", otasim::ParamType::kEnum, "image", "the hook that hangs",
                    {"prepare", "image"}}};
    info.threats = {"none"};
    return info;
  }

  otasim::Status Prepare(otasim::SessionContext&) override {
    if (hook_ == "prepare") SleepForever();
    return {};
  }

  otasim::Status OnImage(otasim::SessionContext&, const otasim::RequestInfo&,
                         otasim::ImageDelivery&) override {
    if (hook_ == "image") SleepForever();
    return {};
  }

 private:
  std::string hook_;
};

}  // namespace

OTASIM_PLUGIN("test.hanging", "0.1.0") { registrar.Add<HangingAttacker>(); }
