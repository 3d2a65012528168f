#include "mqtt_job.hpp"

#include <nlohmann/json.hpp>

namespace otasim::device {
namespace {

using nlohmann::json;

Error Bad(const std::string& field, const std::string& problem) {
  return MakeError(Errc::kParse, "job document: " + field + ": " + problem);
}

// An optional string member: absent or null is empty.
Result<std::string> OptionalString(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) return Bad(key, "must be a string");
  return it->get<std::string>();
}

Result<JobImage> ParseImage(const json& root) {
  const auto it = root.find("image");
  if (it == root.end() || !it->is_object()) return Bad("image", "missing or not an object");
  const json& image = *it;
  JobImage out;
  OTASIM_TRY(const std::string mode, OptionalString(image, "mode"));
  if (mode == "stream") {
    out.mode = JobImage::Mode::kStream;
    OTASIM_TRY(out.stream, OptionalString(image, "stream"));
    if (out.stream.empty() || out.stream.find_first_of("/+#") != std::string::npos) {
      return Bad("image.stream", "must be a non-empty topic level without '/', '+' or '#'");
    }
    const auto chunk = image.find("chunk_size");
    if (chunk == image.end() || !chunk->is_number_unsigned() || chunk->get<std::uint64_t>() == 0 ||
        chunk->get<std::uint64_t>() > kMaxChunkBytes) {
      return Bad("image.chunk_size",
                 "must be an integer from 1 to " + std::to_string(kMaxChunkBytes));
    }
    out.chunk_size = chunk->get<std::uint64_t>();
  } else if (mode == "url") {
    out.mode = JobImage::Mode::kUrl;
    OTASIM_TRY(out.url, OptionalString(image, "url"));
    if (out.url.empty()) return Bad("image.url", "missing");
  } else {
    return Bad("image.mode", "'" + mode + "' is neither stream nor url");
  }
  return out;
}

}  // namespace

Result<JobDocument> ParseJobDocument(const std::string& text) {
  const json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return Bad("(top level)", "not valid JSON");
  if (!root.is_object()) return Bad("(top level)", "must be a JSON object");
  JobDocument job;
  OTASIM_TRY(job.job_id, OptionalString(root, "job_id"));
  OTASIM_TRY(job.request_id, OptionalString(root, "request_id"));
  const auto manifest = root.find("manifest");
  if (manifest == root.end()) return Bad("manifest", "missing (null means nothing offered)");
  if (manifest->is_null()) return job;
  if (!manifest->is_string()) return Bad("manifest", "must be the envelope as a JSON string");
  job.envelope = manifest->get<std::string>();
  OTASIM_TRY(job.image, ParseImage(root));
  return job;
}

std::optional<std::uint64_t> ChunkOffset(const std::string& topic, const std::string& prefix) {
  if (topic.size() <= prefix.size() || topic.compare(0, prefix.size(), prefix) != 0) {
    return std::nullopt;
  }
  const std::string digits = topic.substr(prefix.size());
  // 19 digits always fit 64 bits, so stoull cannot throw.
  if (digits.size() > 19 || digits.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoull(digits);
}

}  // namespace otasim::device
