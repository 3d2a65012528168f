#include "job_messages.hpp"

#include "otasim/manifest.hpp"

namespace otasim::servers::mqtt_jobs {
namespace {

Result<nlohmann::json> ParseObject(std::string_view payload, const char* what) {
  auto json = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return MakeError(Errc::kParse, std::string(what) + " is not a JSON object");
  }
  return json;
}

Result<std::uint64_t> UnsignedField(const nlohmann::json& json, const char* name) {
  auto it = json.find(name);
  if (it == json.end()) return MakeError(Errc::kParse, std::string("missing \"") + name + "\"");
  if (!it->is_number_unsigned()) {
    return MakeError(Errc::kParse, std::string(name) + ": not an unsigned integer");
  }
  return it->get<std::uint64_t>();
}

}  // namespace

Result<JobRequest> ParseJobRequest(std::string_view payload) {
  OTASIM_TRY(const nlohmann::json json, ParseObject(payload, "job request"));
  JobRequest request;
  if (auto it = json.find("request_id"); it != json.end()) {
    if (!it->is_string()) return MakeError(Errc::kParse, "request_id: not a string");
    request.request_id = *it;
  }
  return request;
}

Result<ChunkRequest> ParseChunkRequest(std::string_view payload) {
  OTASIM_TRY(const nlohmann::json json, ParseObject(payload, "chunk request"));
  ChunkRequest request;
  auto stream = json.find("stream");
  if (stream == json.end() || !stream->is_string() || stream->get<std::string>().empty()) {
    return MakeError(Errc::kParse, "stream: missing or not a non-empty string");
  }
  request.stream = stream->get<std::string>();
  OTASIM_TRY(request.offset, UnsignedField(json, "offset"));
  OTASIM_TRY(request.length, UnsignedField(json, "length"));
  if (request.length == 0) return MakeError(Errc::kParse, "length: zero");
  if (request.length > kMaxChunkRequestBytes) {
    return MakeError(Errc::kParse, "length: " + std::to_string(request.length) +
                                       " bytes is over the limit of " +
                                       std::to_string(kMaxChunkRequestBytes));
  }
  return request;
}

std::string JobDocument(const std::string& job_id, const nlohmann::json& request_id,
                        const std::string& envelope, const std::string& stream,
                        std::uint64_t chunk_size, const std::string& image_url) {
  nlohmann::json job = {{"job_id", job_id}, {"request_id", request_id}};
  if (envelope.empty()) {
    job["manifest"] = nullptr;
    job["image"] = nullptr;
  } else {
    job["manifest"] = envelope;
    if (image_url.empty()) {
      job["image"] = {{"mode", "stream"}, {"stream", stream}, {"chunk_size", chunk_size}};
    } else {
      job["image"] = {{"mode", "url"}, {"url", image_url}};
    }
  }
  // An attacker's envelope may hold invalid UTF-8: replace rather than throw.
  return job.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<std::string> StreamNameOf(std::string_view envelope) {
  auto parsed = manifest::ParseEnvelope(envelope);
  if (!parsed) return std::nullopt;
  auto manifest = manifest::ParseManifest(parsed.value().signed_bytes);
  if (!manifest) return std::nullopt;
  const std::string& uri = manifest.value().image.uri;
  std::string name = uri.substr(uri.rfind('/') + 1);
  if (name.empty()) return std::nullopt;
  return name;
}

}  // namespace otasim::servers::mqtt_jobs
