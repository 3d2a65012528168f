// What a request to server.http-poll asks for, from its method and target alone: the pure part
// of the handler, kept apart from the I/O so that it can be fuzzed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace otasim::servers::http_poll {

enum class Resource { kManifest, kImage, kStatus, kArtifact, kOther };

struct Route {
  Resource resource = Resource::kOther;
  std::string image_file;  // kImage: "v2.bin" (not yet checked against the releases)
};

// GET /{device}/manifest, GET /{device}/images/{file}, POST /{device}/status, GET or HEAD
// /{device}/release (a single-file release, e.g. a .swu); the query is ignored. Anything
// else is kOther (answered 404).
Route RouteOf(std::string_view method, std::string_view target, std::string_view device_id);

// "bytes=N-" only: other Range forms are nullopt, and the whole image is served, as HTTP allows.
std::optional<std::uint64_t> ParseOpenRange(std::string_view value);

}  // namespace otasim::servers::http_poll
