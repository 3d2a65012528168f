// attack.mix-and-match: genuine parts of different releases combined — one release's valid
// manifest with another release's image bytes behind it.
#include <string>
#include <utility>

#include "common/byte_sources.hpp"
#include "otasim/plugin.hpp"

namespace otasim::attackers {
namespace {

class MixAndMatch final : public Attacker {
 public:
  explicit MixAndMatch(const Params& params)
      : manifest_name_(params.GetString("manifest")), image_name_(params.GetString("image")) {}

  static TypeInfo Describe() {
    return {.id = "attack.mix-and-match",
            .version = "1.0.0",
            .summary = "serve one release's manifest with another release's image",
            .params = {{.name = "manifest",
                        .type = ParamType::kString,
                        .help = "the release whose manifest envelope is served",
                        .required = true},
                       {.name = "image",
                        .type = ParamType::kString,
                        .help = "the release whose image bytes are served for every image request",
                        .required = true}},
            .threats = {"mix-and-match", "THREAT.IMG.NON_AUTH"}};
  }

  Status Prepare(SessionContext& session) override {
    for (const std::string& name : {manifest_name_, image_name_}) {
      auto found = Lookup(session, name);
      if (!found) return found.error();
    }
    return {};
  }

  Status OnManifest(SessionContext& session, const RequestInfo& request,
                    ManifestDelivery& delivery) override {
    OTASIM_TRY(const Release* release, Lookup(session, manifest_name_));
    delivery.envelope = release->envelope;
    session.timeline().Add("attacker", "mix-and-match",
                           {{"served", "manifest"},
                            {"release", release->name},
                            {"request_index", request.index}});
    return {};
  }

  Status OnImage(SessionContext& session, const RequestInfo& request,
                 ImageDelivery& delivery) override {
    OTASIM_TRY(const Release* release, Lookup(session, image_name_));
    OTASIM_TRY(ByteSourcePtr source, OpenFileSource(release->image_path, delivery.offset));
    nlohmann::json details = {{"served", "image"},
                              {"release", release->name},
                              {"offset", delivery.offset},
                              {"request_index", request.index}};
    if (delivery.release != nullptr) details["requested"] = delivery.release->name;
    delivery.release = release;
    delivery.source = std::move(source);
    delivery.declared_length.reset();  // the new source knows its own length
    session.timeline().Add("attacker", "mix-and-match", std::move(details));
    return {};
  }

 private:
  static Result<const Release*> Lookup(SessionContext& session, const std::string& name) {
    const Release* release = session.FindRelease(name);
    if (release == nullptr) {
      return MakeError(Errc::kNotFound, "attack.mix-and-match: no release named \"" + name + "\"");
    }
    return release;
  }

  std::string manifest_name_;
  std::string image_name_;
};

}  // namespace
}  // namespace otasim::attackers

OTASIM_PLUGIN("attack.mix-and-match", "1.0.0") {
  registrar.Add<otasim::attackers::MixAndMatch>();
}
