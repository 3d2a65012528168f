// attack.mqtt-publish: a job document the honest server did not send waits, retained, on the
// device's jobs/notify topic, so the device receives it first when it subscribes: a stale job a
// broker kept, a job pushed by another party holding broker credentials, or a captured job
// played back. MQTT 3.1.1 does not say who published a message: the device must judge the job
// by its manifest alone.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/envelope_edit.hpp"
#include "otasim/crypto.hpp"
#include "otasim/manifest.hpp"
#include "otasim/plugin.hpp"

namespace otasim::attackers {
namespace {

// The parts of an envelope the job document needs; nullopt when it does not parse.
struct EnvelopeFacts {
  std::uint64_t sequence = 0;
  std::string stream;  // last segment of image.uri
};

std::optional<EnvelopeFacts> FactsOf(std::string_view envelope) {
  auto parsed = manifest::ParseEnvelope(envelope);
  if (!parsed) return std::nullopt;
  auto m = manifest::ParseManifest(parsed.value().signed_bytes);
  if (!m) return std::nullopt;
  const std::string& uri = m.value().image.uri;
  return EnvelopeFacts{m.value().sequence, uri.substr(uri.rfind('/') + 1)};
}

class MqttPublish final : public Attacker {
 public:
  explicit MqttPublish(const Params& params)
      : mode_(params.GetString("mode")),
        release_(params.Has("release") ? params.GetString("release") : std::string()),
        capture_(params.GetInt("capture")),
        chunk_size_(params.GetBytes("chunk_size")) {}

  // The retained message outlives the step unless cleared: an empty retained payload does.
  ~MqttPublish() override {
    if (bus_ == nullptr) return;
    try {
      (void)bus_->Publish(topic_, "", /*retained=*/true);
    } catch (...) {  // a destructor must not throw; the broker dies with the run anyway
    }
  }

  static TypeInfo Describe() {
    return {.id = "attack.mqtt-publish",
            .version = "1.0.0",
            .summary = "leave a retained job document on the device's jobs topic: stale, "
                       "pushed by an intruder, or replayed",
            .params = {{.name = "mode",
                        .type = ParamType::kEnum,
                        .help = "stale-retained: an older release's job, through the server's "
                                "credential; intruder-job: a newer release re-signed with a "
                                "rogue key, through another party's credential; replay-job: a "
                                "captured job played back",
                        .choices = {"stale-retained", "intruder-job", "replay-job"},
                        .required = true},
                       {.name = "release",
                        .type = ParamType::kString,
                        .help = "stale-retained: the older release (default: the first served "
                                "manifest older than the published one); intruder-job: the "
                                "release re-signed (default: the published one)"},
                       {.name = "capture",
                        .type = ParamType::kInt,
                        .default_value = "0",
                        .help = "replay-job: which served manifest (0-based; -1 the latest)"},
                       {.name = "chunk_size",
                        .type = ParamType::kBytes,
                        .default_value = "32KiB",
                        .help = "chunk size the job document announces"}},
            .threats = {"replay", "rollback", "unauthorised-update", "THREAT.UPD.UNAPPROVED",
                        "REQ.SEC.SEQUENCE"},
            .protocols = {"mqtt"}};
  }

  Status Prepare(SessionContext& session) override {
    if (bus_ != nullptr) return {};  // published for this step already
    const BrokerAccess* access = session.broker();
    if (access == nullptr) {
      return MakeError(Errc::kUnsupported, "attack.mqtt-publish: the session has no MQTT broker");
    }
    std::string envelope;
    std::string stream;
    std::string release_name;
    MessageBus* bus = access->server;
    std::string credential = "server";
    if (mode_ == "stale-retained") {
      OTASIM_CHECK(StaleJob(session, envelope, stream, release_name));
    } else if (mode_ == "intruder-job") {
      if (access->intruder == nullptr) {
        return MakeError(Errc::kUnsupported,
                         "attack.mqtt-publish: intruder-job needs otasim's own broker (no "
                         "intruder credential on an external one)");
      }
      bus = access->intruder;
      credential = "intruder";
      OTASIM_CHECK(IntruderJob(session, envelope, stream, release_name));
    } else {
      OTASIM_CHECK(ReplayJob(session, envelope, stream));
    }
    if (bus == nullptr) return MakeError(Errc::kUnsupported, "attack.mqtt-publish: no server bus");

    nlohmann::json job = {{"job_id", "j-" + mode_},
                          {"request_id", nullptr},
                          {"manifest", envelope},
                          {"image", {{"mode", "stream"}, {"stream", stream}, {"chunk_size", chunk_size_}}}};
    const std::string payload = job.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    const std::string topic = access->topic_root + "/jobs/notify";
    Status published = bus->Publish(topic, payload, /*retained=*/true);
    if (!published) return published.error().WithContext("attack.mqtt-publish");
    bus_ = bus;
    topic_ = topic;
    const auto facts = FactsOf(envelope);
    session.timeline().Add(
        "attacker", "mqtt-publish",
        {{"mode", mode_},
         {"credential", credential},
         {"topic", topic},
         {"retained", true},
         {"release", release_name},
         {"sequence", facts ? nlohmann::json(facts->sequence) : nlohmann::json(nullptr)},
         {"stream", stream},
         {"manifest_sha256", crypto::HexEncode(crypto::Sha256::Of(crypto::AsBytes(envelope)))},
         {"bytes", payload.size()}});
    return {};
  }

 private:
  // An older release's genuine job: the named one, or the first served manifest older than
  // what is published now.
  Status StaleJob(SessionContext& session, std::string& envelope, std::string& stream,
                  std::string& release_name) {
    if (!release_.empty()) {
      const Release* release = session.FindRelease(release_);
      if (release == nullptr) {
        return MakeError(Errc::kNotFound, "attack.mqtt-publish: no release named \"" + release_ + "\"");
      }
      envelope = release->envelope;
      stream = release->image_file;
      release_name = release->name;
      return {};
    }
    const Release* published = session.PublishedRelease();
    if (published == nullptr) {
      return MakeError(Errc::kInvalidArgument,
                       "attack.mqtt-publish: nothing is published; name the stale `release`");
    }
    for (const std::string& served : session.ServedManifests()) {
      const auto facts = FactsOf(served);
      if (facts && facts->sequence < published->manifest.sequence) {
        envelope = served;
        stream = facts->stream;
        return {};
      }
    }
    return MakeError(Errc::kNotFound,
                     "attack.mqtt-publish: no served manifest is older than the published "
                     "release; name the stale `release`");
  }

  // The release's manifest with a higher sequence, signed by a key no device trusts.
  Status IntruderJob(SessionContext& session, std::string& envelope, std::string& stream,
                     std::string& release_name) {
    const Release* release =
        release_.empty() ? session.PublishedRelease() : session.FindRelease(release_);
    if (release == nullptr) {
      return MakeError(Errc::kNotFound,
                       release_.empty() ? "attack.mqtt-publish: nothing is published; name a `release`"
                                        : "attack.mqtt-publish: no release named \"" + release_ + "\"");
    }
    OTASIM_TRY(OpenEnvelope opened, OpenForEdit(release->envelope));
    OTASIM_CHECK(SetField(opened.manifest, "sequence", release->manifest.sequence + 1));
    OTASIM_CHECK(StoreManifest(opened));
    OTASIM_TRY(const crypto::PrivateKey rogue, session.RogueSigningKey());
    OTASIM_CHECK(SignOnlyWith(opened.envelope, rogue));
    OTASIM_TRY(envelope, Serialize(opened.envelope));
    stream = release->image_file;
    release_name = release->name;
    return {};
  }

  // A manifest the device was served earlier, in a job document as the server sent it.
  Status ReplayJob(SessionContext& session, std::string& envelope, std::string& stream) {
    const std::vector<std::string> served = session.ServedManifests();
    const auto count = static_cast<std::int64_t>(served.size());
    const std::int64_t index = capture_ < 0 ? count + capture_ : capture_;
    if (index < 0 || index >= count) {
      return MakeError(Errc::kNotFound, "attack.mqtt-publish: capture " + std::to_string(capture_) +
                                            " does not exist (" + std::to_string(count) +
                                            " captured)");
    }
    envelope = served[static_cast<std::size_t>(index)];
    const auto facts = FactsOf(envelope);
    stream = facts ? facts->stream : std::string();
    return {};
  }

  std::string mode_;
  std::string release_;
  std::int64_t capture_;
  std::uint64_t chunk_size_;
  MessageBus* bus_ = nullptr;  // set once the retained job is out; cleared on destruction
  std::string topic_;
};

}  // namespace
}  // namespace otasim::attackers

OTASIM_PLUGIN("attack.mqtt-publish", "1.0.0") { registrar.Add<otasim::attackers::MqttPublish>(); }
