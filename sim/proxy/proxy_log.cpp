#include "proxy_log.hpp"

#include <algorithm>

namespace otasim::proxy {

Status ProxyLog::Open(const std::filesystem::path& path) {
  if (path.empty()) return {};
  std::lock_guard lock(mutex_);
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  out_.open(path, std::ios::app);
  if (!out_) return MakeError(Errc::kIo, "opening the proxy log " + path.string());
  return {};
}

void ProxyLog::Write(const nlohmann::json& record) {
  std::lock_guard lock(mutex_);
  if (!out_.is_open()) return;
  out_ << record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  out_.flush();
}

nlohmann::json SummarizeConnections(const std::string& label,
                                    const std::vector<nlohmann::json>& records,
                                    const std::vector<std::string>& counters) {
  std::uint64_t completed = 0, failed = 0, to_server = 0, to_device = 0;
  nlohmann::json reasons = nlohmann::json::array();
  nlohmann::json sums = nlohmann::json::object();
  for (const auto& counter : counters) sums[counter] = std::uint64_t{0};
  for (const auto& r : records) {
    const std::string tls = r.value("device_tls", "");
    if (tls == "completed") ++completed;
    if (tls == "failed") {
      ++failed;
      const std::string reason = r.value("device_tls_error", "");
      if (std::find(reasons.begin(), reasons.end(), reason) == reasons.end()) reasons.push_back(reason);
    }
    to_server += r.value("bytes_to_server", std::uint64_t{0});
    to_device += r.value("bytes_to_device", std::uint64_t{0});
    for (const auto& counter : counters) {
      sums[counter] = sums[counter].get<std::uint64_t>() + r.value(counter, std::uint64_t{0});
    }
  }
  nlohmann::json summary = {{"relay", label},
                            {"connections", records.size()},
                            {"device_tls_completed", completed},
                            {"device_tls_failed", failed},
                            {"device_tls_errors", reasons},
                            {"bytes_to_server", to_server},
                            {"bytes_to_device", to_device}};
  summary.update(sums);
  return summary;
}

}  // namespace otasim::proxy
