// The MQTT flow's job document (targets/PROTOCOL.md, "MQTT(S) flow", step 2), parsed and
// checked for shape only: the manifest inside is verified like any other. Errors (kParse) name
// the field; the cycle reports them as `format`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "otasim/result.hpp"

namespace otasim::device {

// The largest chunk the device accepts to ask for: a window of 16 chunks must fit the inbox.
inline constexpr std::uint64_t kMaxChunkBytes = 1 << 20;

struct JobImage {
  enum class Mode { kStream, kUrl } mode = Mode::kStream;
  std::string stream;            // stream mode: the name in {root}/stream/{name}/{offset}
  std::uint64_t chunk_size = 0;  // stream mode
  std::string url;               // url mode
};

struct JobDocument {
  std::string job_id;
  std::string request_id;
  std::optional<std::string> envelope;  // nullopt: "manifest": null, nothing offered
  std::optional<JobImage> image;        // present whenever envelope is
};

Result<JobDocument> ParseJobDocument(const std::string& text);

// The offset of a chunk topic "{root}/stream/{name}/{offset}" when `prefix` is
// "{root}/stream/{name}/" and the rest is a decimal offset; nullopt for any other topic.
std::optional<std::uint64_t> ChunkOffset(const std::string& topic, const std::string& prefix);

}  // namespace otasim::device
