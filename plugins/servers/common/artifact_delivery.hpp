// One request for a single-file release (an SWUpdate .swu): the step's envelope through every
// attacker's OnManifest, the image it names through every OnImage, rendered by the device's
// release format (ServerEnvironment::release_format()). Shared by every server model that
// serves such files (server.http-poll's /release route, server.hawkbit-ddi's artifacts).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "otasim/byte_source.hpp"
#include "otasim/result.hpp"
#include "otasim/server_model.hpp"

namespace otasim::servers {

struct ArtifactRequest {
  std::string protocol = "http";
  std::uint64_t index = 0;        // how many artifact requests came before, this step
  std::uint64_t range_start = 0;  // first byte of the file asked for (resume)
  // A HEAD request: the manifest hooks run (the envelope decides the file's length), the image
  // hooks do not, and no manifest counts as served.
  bool head_only = false;
};

struct ArtifactResponse {
  const Release* release = nullptr;  // whose image the file carries
  std::string envelope;              // the envelope as served (after attackers), rendered
  std::string file_name;             // "v2.swu"
  std::string content_type;
  std::uint64_t file_length = 0;     // head + declared image size + tail
  std::uint64_t offset = 0;          // first byte of the file `body` starts at
  std::uint64_t head_size = 0;       // file bytes before the image
  std::uint64_t image_size = 0;      // image bytes the head declares
  std::uint64_t image_offset = 0;    // first image byte asked for (RequestInfo::range_start)
  ByteSourcePtr body;                // from `offset` on: rest of head, image as delivered, tail
  // From the image delivery, translated to file bytes: what to claim as the body length
  // (nullopt: body->Length()), no length at all, a cut after this many body bytes, a trickle,
  // or a redirect instead of a body.
  std::optional<std::uint64_t> declared_length;
  bool close_delimited = false;
  std::optional<std::uint64_t> cut_after;
  std::uint64_t trickle_bytes_per_second = 0;
  std::string redirect_url;
};

// nullopt when nothing is published in this step, or the device's format is not a single file
// (the caller answers "nothing to offer"). A failing attacker hook is returned as the error,
// naming the attacker and the hook.
Result<std::optional<ArtifactResponse>> DeliverArtifact(
    ServerEnvironment& env, const ArtifactRequest& request);

// The image bytes among `sent` file bytes from `response.offset` on, plus any sent past the
// file's declared end: what an image request's Exchange::bytes_sent means for a single file
// (so that max_extra_bytes_read keeps counting bytes beyond the release).
std::uint64_t ImageBytesSent(const ArtifactResponse& response, std::uint64_t sent);

}  // namespace otasim::servers
