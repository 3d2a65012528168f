// attack.interrupt: the connection drops mid-download a few times, then the network recovers;
// a robust device keeps its old image meanwhile and completes the update later (resume).
#include <cmath>
#include <cstdint>
#include <mutex>
#include <optional>

#include "common/byte_sources.hpp"
#include "otasim/plugin.hpp"

namespace otasim::attackers {
namespace {

class Interrupt final : public Attacker {
 public:
  explicit Interrupt(const Params& params)
      : at_(params.GetPercent("at")),
        times_(params.GetInt("times")),
        cut_retries_(params.GetString("retries") == "cut") {
    if (params.Has("after")) after_ = params.GetBytes("after");
  }

  static TypeInfo Describe() {
    return {.id = "attack.interrupt",
            .version = "1.0.0",
            .summary = "cut the first image responses after N bytes, then let everything through",
            .params = {{.name = "after",
                        .type = ParamType::kBytes,
                        .help = "cut after this many body bytes (overrides `at`)"},
                       {.name = "at",
                        .type = ParamType::kPercent,
                        .default_value = "50",
                        .help = "cut after this share of the image size, counted from the "
                                "start of each response"},
                       {.name = "times",
                        .type = ParamType::kInt,
                        .default_value = "1",
                        .help = "how many image responses are cut before the rest pass"},
                       {.name = "retries",
                        .type = ParamType::kEnum,
                        .default_value = "pass",
                        .help = "the image requests after those `times` in this step: pass (the "
                                "network recovered) or cut (each at once: the link stays down "
                                "for this attempt, so a client that retries within one run, as "
                                "SWUpdate's downloader does, still sees the attempt fail)",
                        .choices = {"pass", "cut"}}},
            .threats = {"interruption", "network-failure"}};
  }

  Status OnImage(SessionContext& session, const RequestInfo& request,
                 ImageDelivery& delivery) override {
    std::int64_t seen = 0;
    {
      // Hooks run on the server's thread; the lock keeps the count exact should there be more.
      std::lock_guard lock(mutex_);
      seen = seen_++;
    }
    if (seen >= times_ && !cut_retries_) return {};
    if (seen >= times_) {
      delivery.cut_after = 0;
      session.timeline().Add("attacker", "interrupt-retry-cut",
                             {{"offset", delivery.offset}, {"request_index", request.index}});
      return {};
    }
    std::uint64_t cut = after_ ? *after_ : CutAtPercent(delivery);
    delivery.cut_after = cut;
    session.timeline().Add("attacker", "interrupt",
                           {{"cut_after", cut},
                            {"offset", delivery.offset},
                            {"time", seen + 1},
                            {"of", times_},
                            {"request_index", request.index}});
    return {};
  }

 private:
  std::uint64_t CutAtPercent(const ImageDelivery& delivery) const {
    if (delivery.release == nullptr) return 0;
    double size = static_cast<double>(ImageSize(*delivery.release));
    return static_cast<std::uint64_t>(std::floor(size * at_ / 100.0));
  }

  std::optional<std::uint64_t> after_;
  double at_;
  std::int64_t times_;
  bool cut_retries_;
  std::mutex mutex_;
  std::int64_t seen_ = 0;
};

}  // namespace
}  // namespace otasim::attackers

OTASIM_PLUGIN("attack.interrupt", "1.0.0") { registrar.Add<otasim::attackers::Interrupt>(); }
