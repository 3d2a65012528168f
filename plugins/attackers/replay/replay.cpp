// attack.replay: an attacker who recorded a manifest the device was once served plays it back.
#include <cstdint>
#include <string>
#include <vector>

#include "otasim/crypto.hpp"
#include "otasim/plugin.hpp"

namespace otasim::attackers {
namespace {

class Replay final : public Attacker {
 public:
  explicit Replay(const Params& params) : capture_(params.GetInt("capture")) {}

  static TypeInfo Describe() {
    return {.id = "attack.replay",
            .version = "1.0.0",
            .summary = "serve a manifest envelope captured earlier in the session, byte for byte",
            .params = {{.name = "capture",
                        .type = ParamType::kInt,
                        .default_value = "-1",
                        .help = "which captured manifest: -1 the latest, N the Nth (0-based)"}},
            .threats = {"replay", "REQ.SEC.SEQUENCE"}};
  }

  // Picks the capture before the device acts, so that this step's own (replayed) manifests
  // don't shift what "the latest" means.
  Status Prepare(SessionContext& session) override {
    std::vector<std::string> served = session.ServedManifests();
    if (served.empty()) {
      return MakeError(Errc::kNotFound, "attack.replay: no manifest has been captured yet");
    }
    std::int64_t count = static_cast<std::int64_t>(served.size());
    std::int64_t index = capture_ < 0 ? count + capture_ : capture_;
    if (index < 0 || index >= count) {
      return MakeError(Errc::kNotFound, "attack.replay: capture " + std::to_string(capture_) +
                                            " does not exist (" + std::to_string(count) +
                                            " captured)");
    }
    index_ = index;
    envelope_ = served[static_cast<std::size_t>(index)];
    prepared_ = true;
    return {};
  }

  Status OnManifest(SessionContext& session, const RequestInfo& request,
                    ManifestDelivery& delivery) override {
    if (!prepared_) OTASIM_CHECK(Prepare(session));
    delivery.envelope = envelope_;
    session.timeline().Add(
        "attacker", "replay",
        {{"capture", index_},
         {"bytes", envelope_.size()},
         {"sha256", crypto::HexEncode(crypto::Sha256::Of(crypto::AsBytes(envelope_)))},
         {"request_index", request.index}});
    return {};
  }

 private:
  std::int64_t capture_;
  bool prepared_ = false;
  std::int64_t index_ = 0;
  std::string envelope_;
};

}  // namespace
}  // namespace otasim::attackers

OTASIM_PLUGIN("attack.replay", "1.0.0") { registrar.Add<otasim::attackers::Replay>(); }
