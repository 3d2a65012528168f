// Streams an image to storage: never held whole in memory, hashed as it arrives, at most
// image.size bytes read, resumable with Range after a cut connection. The response's status,
// Content-Range and Content-Length are checked before its first body byte is read: a response
// refused on its header leaves the file exactly as it was.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "device_state.hpp"
#include "http_types.hpp"
#include "power_cut.hpp"

namespace otasim::device {

struct DownloadJob {
  std::string url;
  std::uint64_t size = 0;      // image.size from the verified manifest
  std::string manifest_id;     // SHA-256 (hex) of the manifest's signed bytes
  std::filesystem::path file;  // where the bytes go: a staging file or (flawed) a slot
  bool enforce_size = true;    // false only under the no-size-check flaw: no length is checked
  http::ClientOptions options;
};

enum class DownloadEnd {
  kComplete,
  kSize,         // Content-Length disagrees with the manifest, or a byte beyond image.size
  kInterrupted,  // the connection ended early; what arrived is kept for a resume
  kTimeout,
  kTls,
  kNetwork,  // connect failed, bad HTTP status, malformed response
  kStorage,  // the device could not write its own storage
};

struct DownloadOutcome {
  DownloadEnd end = DownloadEnd::kComplete;
  std::string detail;
  std::string digest;       // SHA-256 (hex) of the whole image when kComplete
  std::uint64_t bytes = 0;  // bytes of the image on storage
};

DownloadOutcome DownloadImage(const StateDir& dir, const DownloadJob& job, const PowerCut& cut);

}  // namespace otasim::device
