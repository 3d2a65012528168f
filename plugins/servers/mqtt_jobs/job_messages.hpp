// The messages of the MQTT(S) flow in targets/PROTOCOL.md, server side: the device's job and
// chunk requests, and the job document the server answers with.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "otasim/result.hpp"

namespace otasim::servers::mqtt_jobs {

// A chunk request larger than this is refused: no device needs it, and it would tie the
// publishing worker up for a long time.
inline constexpr std::uint64_t kMaxChunkRequestBytes = 64ull << 20;

struct JobRequest {
  nlohmann::json request_id;  // echoed as sent (a string, or null when absent)
};

struct ChunkRequest {
  std::string stream;  // "v2.bin"
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

// kParse naming the field at fault.
Result<JobRequest> ParseJobRequest(std::string_view payload);
Result<ChunkRequest> ParseChunkRequest(std::string_view payload);

// The job document: `envelope` empty means nothing is offered ("manifest": null). With an
// `image_url` the image comes over HTTPS from there, else in chunks of `stream`.
std::string JobDocument(const std::string& job_id, const nlohmann::json& request_id,
                        const std::string& envelope, const std::string& stream,
                        std::uint64_t chunk_size, const std::string& image_url = "");

// The image file an envelope's manifest points at (the last segment of image.uri), so that a
// served manifest and its stream agree even when an attacker swapped the manifest; nullopt
// when the envelope or its manifest does not parse.
std::optional<std::string> StreamNameOf(std::string_view envelope);

}  // namespace otasim::servers::mqtt_jobs
