// attack.endless-data: the image response carries more (or fewer) bytes than the manifest
// says, or never ends, to exhaust the device's storage or memory.
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "common/byte_sources.hpp"
#include "otasim/plugin.hpp"

namespace otasim::attackers {
namespace {

class EndlessData final : public Attacker {
 public:
  explicit EndlessData(const Params& params)
      : mode_(params.GetString("mode")),
        extra_(params.GetBytes("extra")),
        max_bytes_(params.GetBytes("max_bytes")),
        missing_(params.GetBytes("missing")) {}

  static TypeInfo Describe() {
    return {.id = "attack.endless-data",
            .version = "1.0.0",
            .summary = "append data to the image, stream without end, or cut bytes off",
            .params = {{.name = "mode",
                        .type = ParamType::kEnum,
                        .default_value = "extra",
                        .help = "extra: image + `extra` random bytes, length declared; endless: "
                                "no length, image then random bytes up to `max_bytes`; short: "
                                "`missing` bytes fewer, length declared",
                        .choices = {"extra", "endless", "short"}},
                       {.name = "extra",
                        .type = ParamType::kBytes,
                        .default_value = "64MiB",
                        .help = "extra: how many bytes follow the image"},
                       {.name = "max_bytes",
                        .type = ParamType::kBytes,
                        .default_value = "96MiB",
                        .help = "endless: total bytes sent before the connection closes"},
                       {.name = "missing",
                        .type = ParamType::kBytes,
                        .default_value = "1KiB",
                        .help = "short: how many bytes of the image are left out"}},
            .threats = {"endless-data", "THREAT.IMG.EXTRA"}};
  }

  Status OnImage(SessionContext& session, const RequestInfo& request,
                 ImageDelivery& delivery) override {
    if (!delivery.source) return {};
    std::uint64_t remaining = RemainingImage(delivery);
    nlohmann::json details = {{"mode", mode_},
                              {"offset", delivery.offset},
                              {"image_bytes", remaining},
                              {"request_index", request.index}};
    if (mode_ == "extra") {
      delivery.source = Concat(std::move(delivery.source), Random(session, extra_));
      delivery.declared_length = remaining + extra_;
      delivery.close_delimited = false;
      details["declared_length"] = remaining + extra_;
    } else if (mode_ == "endless") {
      // Random bytes "forever", but capped: the simulator must not fill the disk either.
      delivery.source = Truncate(Concat(std::move(delivery.source), Random(session, std::nullopt)),
                                 max_bytes_);
      delivery.close_delimited = true;
      delivery.declared_length.reset();
      details["max_bytes"] = max_bytes_;
    } else {  // short
      std::uint64_t length = remaining - std::min(remaining, missing_);
      delivery.source = Truncate(std::move(delivery.source), length);
      delivery.declared_length = length;
      delivery.close_delimited = false;
      details["declared_length"] = length;
    }
    session.timeline().Add("attacker", "endless-data", std::move(details));
    return {};
  }

 private:
  static std::uint64_t RemainingImage(const ImageDelivery& delivery) {
    if (auto length = delivery.source->Length()) return *length;
    if (delivery.release == nullptr) return 0;
    std::uint64_t size = ImageSize(*delivery.release);
    return size - std::min(size, delivery.offset);
  }

  static ByteSourcePtr Random(SessionContext& session, std::optional<std::uint64_t> length) {
    return RandomBytes(session.Seed("attack.endless-data"), length);
  }

  std::string mode_;
  std::uint64_t extra_;
  std::uint64_t max_bytes_;
  std::uint64_t missing_;
};

}  // namespace
}  // namespace otasim::attackers

OTASIM_PLUGIN("attack.endless-data", "1.0.0") {
  registrar.Add<otasim::attackers::EndlessData>();
}
