// The JSON of the hawkBit DDI subset: what the server sends (the base poll answer, the
// deployment description) and what it reads (a deployment feedback). Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "otasim/result.hpp"
#include "otasim/session.hpp"

namespace otasim::servers::hawkbit_ddi {

// "HH:MM:SS", as config.polling.sleep carries it.
std::string PollingSleep(std::uint64_t seconds);

// GET /{tenant}/controller/v1/{id}: the polling interval and the links to follow. `controller_url`
// is the absolute URL of that resource; nullopt action: no deployment to offer.
nlohmann::json BasePollJson(const std::string& controller_url, std::uint64_t poll_seconds,
                            std::optional<std::uint64_t> action_id, bool request_config_data);

struct ArtifactDescription {
  std::string file_name;  // "v2.swu"
  std::uint64_t size = 0;
  std::string sha1, md5, sha256;  // lower-case hex of the file as served
  std::string url;                // absolute download URL
};

struct DeploymentDescription {
  std::uint64_t action_id = 0;
  std::string chunk_name;     // the release's name
  std::string chunk_version;  // the release's version
  ArtifactDescription artifact;
  bool tls = true;  // the download link: "download" (https) or "download-http"
};

// GET .../deploymentBase/{action}: one chunk with one artifact, download and update forced.
nlohmann::json DeploymentJson(const DeploymentDescription& deployment);

// A deployment feedback: status.execution (required), status.result.finished, status.details.
struct Feedback {
  std::string execution;  // closed, proceeding, canceled, scheduled, rejected, resumed, ...
  std::string finished;   // success, failure, none ("" when absent)
  std::vector<std::string> details;
  nlohmann::json raw;
  // closed, rejected and canceled end the action; the rest are progress.
  bool Final() const;
};

// kParse, naming the field, when the body is not JSON or misses status.execution.
Result<Feedback> ParseFeedback(std::string_view body);

// The status report of a final feedback: closed+success "installed"; rejected or canceled
// "rejected"; any other closed "failed", with a reason read from SWUpdate's details
// ("digest", "signature", "class", "rollback", or "" when none applies). SWUpdate sends the
// installer's errors in earlier progress feedback and only a summary in the final one, so
// `earlier_details` (every detail of the action before this feedback) is searched too. The
// final details and the whole feedback are kept in `raw`.
StatusReport ReportOf(const Feedback& feedback, const std::vector<std::string>& earlier_details = {});

}  // namespace otasim::servers::hawkbit_ddi
