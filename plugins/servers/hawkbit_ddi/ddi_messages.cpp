#include "ddi_messages.hpp"

#include <array>
#include <cstdio>
#include <utility>

namespace otasim::servers::hawkbit_ddi {

std::string PollingSleep(std::uint64_t seconds) {
  const std::uint64_t hours = seconds / 3600;
  char text[32];
  std::snprintf(text, sizeof text, "%02llu:%02llu:%02llu", static_cast<unsigned long long>(hours),
                static_cast<unsigned long long>(seconds / 60 % 60),
                static_cast<unsigned long long>(seconds % 60));
  return text;
}

nlohmann::json BasePollJson(const std::string& controller_url, std::uint64_t poll_seconds,
                            std::optional<std::uint64_t> action_id, bool request_config_data) {
  nlohmann::json links = nlohmann::json::object();
  if (action_id) {
    // hawkBit adds a cache-busting query; clients must take the link as it is.
    links["deploymentBase"] = {{"href", controller_url + "/deploymentBase/" +
                                            std::to_string(*action_id) + "?c=-" +
                                            std::to_string(*action_id)}};
  }
  if (request_config_data) links["configData"] = {{"href", controller_url + "/configData"}};
  return {{"config", {{"polling", {{"sleep", PollingSleep(poll_seconds)}}}}}, {"_links", links}};
}

nlohmann::json DeploymentJson(const DeploymentDescription& deployment) {
  const ArtifactDescription& a = deployment.artifact;
  nlohmann::json links = {{"download-http", {{"href", a.url}}},
                          {"md5sum-http", {{"href", a.url + ".MD5SUM"}}}};
  if (deployment.tls) {
    links["download"] = {{"href", a.url}};
    links["md5sum"] = {{"href", a.url + ".MD5SUM"}};
  }
  nlohmann::json artifact = {{"filename", a.file_name},
                             {"size", a.size},
                             {"hashes", {{"sha1", a.sha1}, {"md5", a.md5}, {"sha256", a.sha256}}},
                             {"_links", std::move(links)}};
  nlohmann::json chunk = {{"part", "os"},
                          {"version", deployment.chunk_version},
                          {"name", deployment.chunk_name},
                          {"artifacts", nlohmann::json::array({std::move(artifact)})}};
  return {{"id", std::to_string(deployment.action_id)},
          {"deployment",
           {{"download", "forced"},
            {"update", "forced"},
            {"chunks", nlohmann::json::array({std::move(chunk)})}}}};
}

bool Feedback::Final() const {
  return execution == "closed" || execution == "rejected" || execution == "canceled";
}

Result<Feedback> ParseFeedback(std::string_view body) {
  auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return MakeError(Errc::kParse, "feedback is not a JSON object");
  }
  auto status = json.find("status");
  if (status == json.end() || !status->is_object()) {
    return MakeError(Errc::kParse, "feedback: missing object \"status\"");
  }
  Feedback feedback;
  auto execution = status->find("execution");
  if (execution == status->end() || !execution->is_string()) {
    return MakeError(Errc::kParse, "feedback: \"status.execution\" missing or not a string");
  }
  feedback.execution = execution->get<std::string>();
  if (auto result = status->find("result"); result != status->end()) {
    if (!result->is_object()) return MakeError(Errc::kParse, "feedback: \"status.result\" not an object");
    if (auto finished = result->find("finished"); finished != result->end()) {
      if (!finished->is_string()) {
        return MakeError(Errc::kParse, "feedback: \"status.result.finished\" not a string");
      }
      feedback.finished = finished->get<std::string>();
    }
  }
  if (auto details = status->find("details"); details != status->end()) {
    if (!details->is_array()) return MakeError(Errc::kParse, "feedback: \"status.details\" not an array");
    for (const auto& line : *details) {
      if (line.is_string()) feedback.details.push_back(line.get<std::string>());
    }
  }
  feedback.raw = std::move(json);
  return feedback;
}

namespace {

// SWUpdate's own words for why an install failed (corelib and suricatta messages), first
// match wins. Signature and hash failures come before the generic ones they cause.
struct ReasonPattern {
  const char* text;
  const char* reason;
};
constexpr std::array<ReasonPattern, 7> kReasonPatterns{{
    {"Checksum does not match", "digest"},
    {"HASH mismatch", "digest"},
    {"ignature", "signature"},  // "Signature verification failed", "signature", ...
    {"Verification failed", "signature"},
    {"not compatible", "class"},
    {"older", "rollback"},
    {"downgrad", "rollback"},
}};

std::string ReasonFrom(const std::vector<std::string>& details) {
  for (const ReasonPattern& pattern : kReasonPatterns) {
    for (const std::string& line : details) {
      if (line.find(pattern.text) != std::string::npos) return pattern.reason;
    }
  }
  return "";
}

}  // namespace

StatusReport ReportOf(const Feedback& feedback, const std::vector<std::string>& earlier_details) {
  StatusReport report;
  if (feedback.execution == "closed" && feedback.finished == "success") {
    report.result = "installed";
  } else if (feedback.execution == "rejected" || feedback.execution == "canceled") {
    report.result = "rejected";
  } else {
    report.result = "failed";
    std::vector<std::string> all = earlier_details;
    all.insert(all.end(), feedback.details.begin(), feedback.details.end());
    report.reason = ReasonFrom(all);
  }
  report.raw = {{"feedback", feedback.raw}, {"details", feedback.details}};
  return report;
}

}  // namespace otasim::servers::hawkbit_ddi
