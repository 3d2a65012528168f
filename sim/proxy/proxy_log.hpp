// The proxy's evidence: one JSON object per line (proxy.log), appended as things happen, so
// that a crash or a kill still leaves what was seen. Never given key material.
#pragma once

#include <string>
#include <vector>

#include <filesystem>
#include <fstream>
#include <mutex>

#include <nlohmann/json.hpp>

#include "otasim/result.hpp"

namespace otasim::proxy {

class ProxyLog {
 public:
  // An empty path logs nowhere (records still reach the callers' callbacks).
  Status Open(const std::filesystem::path& path);
  void Write(const nlohmann::json& record);

 private:
  std::mutex mutex_;
  std::ofstream out_;
};

// One summary of a relay's per-connection records for the timeline: handshakes completed and
// failed (with each distinct failure reason), bytes each way, and the sum of each extra counter.
nlohmann::json SummarizeConnections(const std::string& label,
                                    const std::vector<nlohmann::json>& records,
                                    const std::vector<std::string>& counters);

}  // namespace otasim::proxy
