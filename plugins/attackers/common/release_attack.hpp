// The shape shared by attackers that serve another release's genuine, validly signed manifest
// in place of the published one (downgrade, wrong class, freeze): only the story differs.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "otasim/attacker.hpp"

namespace otasim::attackers {

class ServeReleaseManifest : public Attacker {
 public:
  // `event` names the timeline entries ("downgrade"); `release_name` is the release to serve.
  ServeReleaseManifest(std::string event, std::string release_name);

  Status Prepare(SessionContext& session) override;
  Status OnManifest(SessionContext& session, const RequestInfo& request,
                    ManifestDelivery& delivery) override;

 protected:
  // What the timeline entry says about the served release; subclasses may add to it.
  virtual nlohmann::json Details(SessionContext& session, const Release& release) const;

 private:
  Result<const Release*> Lookup(SessionContext& session);

  std::string event_;
  std::string release_name_;
  const Release* release_ = nullptr;
};

}  // namespace otasim::attackers
