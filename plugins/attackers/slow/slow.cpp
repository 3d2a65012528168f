// attack.slow: the image arrives, but slowly (slow retrieval, Uptane's "slow retrieval" attack):
// a device without a minimum rate waits for ever and never installs the update it needs.
#include <cstdint>
#include <utility>

#include "common/trickle.hpp"
#include "otasim/plugin.hpp"

namespace otasim::attackers {
namespace {

class Slow final : public Attacker {
 public:
  explicit Slow(const Params& params)
      : bytes_per_second_(params.GetBytes("bytes_per_second")),
        after_bytes_(params.GetBytes("after_bytes")) {}

  static TypeInfo Describe() {
    return {.id = "attack.slow",
            .version = "1.0.0",
            .summary = "trickle the image at a few bytes per second (slow retrieval)",
            .params = {{.name = "bytes_per_second",
                        .type = ParamType::kBytes,
                        .default_value = "64",
                        .help = "the rate of the image body, in bytes per second (at least 1)"},
                       {.name = "after_bytes",
                        .type = ParamType::kBytes,
                        .default_value = "0",
                        .help = "serve this many bytes of each response at full speed first"}},
            .threats = {"slow-retrieval", "THREAT.NET.DOS"},
            .protocols = {"http", "coap", "mqtt"}};
  }

  Status OnImage(SessionContext& session, const RequestInfo& request,
                 ImageDelivery& delivery) override {
    if (bytes_per_second_ == 0) {
      return MakeError(Errc::kInvalidArgument, "attack.slow: bytes_per_second must be at least 1");
    }
    if (after_bytes_ == 0) {
      // The server model paces the whole body (and says so in its records).
      delivery.trickle_bytes_per_second = bytes_per_second_;
    } else if (delivery.source) {
      // A fast start, then the trickle: paced here, since the server paces whole bodies only.
      delivery.source =
          servers::PacedSource(std::move(delivery.source), bytes_per_second_, after_bytes_);
    }
    session.timeline().Add("attacker", "slow",
                           {{"bytes_per_second", bytes_per_second_},
                            {"after_bytes", after_bytes_},
                            {"offset", delivery.offset},
                            {"request_index", request.index}});
    return {};
  }

 private:
  std::uint64_t bytes_per_second_;
  std::uint64_t after_bytes_;
};

}  // namespace
}  // namespace otasim::attackers

OTASIM_PLUGIN("attack.slow", "1.0.0") { registrar.Add<otasim::attackers::Slow>(); }
