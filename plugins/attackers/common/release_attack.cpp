#include "common/release_attack.hpp"

#include <utility>

namespace otasim::attackers {

ServeReleaseManifest::ServeReleaseManifest(std::string event, std::string release_name)
    : event_(std::move(event)), release_name_(std::move(release_name)) {}

Result<const Release*> ServeReleaseManifest::Lookup(SessionContext& session) {
  if (release_ == nullptr) release_ = session.FindRelease(release_name_);
  if (release_ == nullptr) {
    return MakeError(Errc::kNotFound,
                     "attack." + event_ + ": no release named \"" + release_name_ + "\"");
  }
  return release_;
}

Status ServeReleaseManifest::Prepare(SessionContext& session) {
  release_ = nullptr;  // releases may be rebuilt between steps
  auto found = Lookup(session);
  if (!found) return found.error();
  return {};
}

Status ServeReleaseManifest::OnManifest(SessionContext& session, const RequestInfo& request,
                                        ManifestDelivery& delivery) {
  OTASIM_TRY(const Release* release, Lookup(session));
  delivery.envelope = release->envelope;
  nlohmann::json details = Details(session, *release);
  details["request_index"] = request.index;
  session.timeline().Add("attacker", event_, std::move(details));
  return {};
}

nlohmann::json ServeReleaseManifest::Details(SessionContext& session,
                                             const Release& release) const {
  (void)session;
  return {{"release", release.name},
          {"version", release.manifest.version},
          {"sequence", release.manifest.sequence},
          {"class_id", release.manifest.class_id},
          {"expires", release.manifest.expires}};
}

}  // namespace otasim::attackers
