// Streams an image to storage over any UpdateChannel: never held whole in memory, hashed as it
// arrives, at most image.size bytes stored, resumable after a cut transfer. What the server
// declares about a transfer (its start, length, total) is checked before its first byte is
// stored: a transfer refused on its head leaves the file exactly as it was.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "device_state.hpp"
#include "power_cut.hpp"
#include "update_channel.hpp"

namespace otasim::device {

struct DownloadJob {
  std::string location;        // from UpdateChannel::ResolveImage
  std::uint64_t size = 0;      // image.size from the verified manifest
  std::string manifest_id;     // SHA-256 (hex) of the manifest's signed bytes
  std::filesystem::path file;  // where the bytes go: a staging file or (flawed) a slot
  bool enforce_size = true;    // false only under the no-size-check flaw: no length is checked
  // Slow retrieval: abandon (kTimeout) when fewer than min_bytes_per_second × rate_window bytes
  // arrived over the last rate_window of a transfer; 0 only under the no-timeout flaw.
  std::uint64_t min_bytes_per_second = 0;
  std::chrono::milliseconds rate_window{30000};
  bool stall_deadline = true;  // false only under the no-timeout flaw: reads wait for ever
};

enum class DownloadEnd {
  kComplete,
  kSize,         // a declared length disagrees with the manifest, or a byte beyond image.size
  kInterrupted,  // the transfer ended early; what arrived is kept for a resume
  kTimeout,
  kTls,
  kNetwork,  // connect failed, bad status or code, malformed answer
  kStorage,  // the device could not write its own storage
};

struct DownloadOutcome {
  DownloadEnd end = DownloadEnd::kComplete;
  std::string detail;
  std::string digest;       // SHA-256 (hex) of the whole image when kComplete
  std::uint64_t bytes = 0;  // bytes of the image on storage
};

DownloadOutcome DownloadImage(const StateDir& dir, const DownloadJob& job, UpdateChannel& channel,
                              const PowerCut& cut);

}  // namespace otasim::device
