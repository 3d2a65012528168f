#include "power_cut.hpp"

#include <csignal>
#include <cstdlib>
#include <string>

#include "log.hpp"

namespace otasim::device {

Result<PowerCut> PowerCut::FromEnvironment() {
  PowerCut cut;
  const char* value = std::getenv("OTASIM_POWER_CUT");
  if (value == nullptr || *value == '\0') return cut;
  const std::string text(value);
  const auto colon = text.find(':');
  const auto bad = [&] {
    return MakeError(Errc::kInvalidArgument,
                     "OTASIM_POWER_CUT='" + text + "': expected download|install|commit:PERCENT");
  };
  if (colon == std::string::npos) return bad();
  const std::string stage = text.substr(0, colon);
  const std::string percent = text.substr(colon + 1);
  if (stage == "download") {
    cut.stage_ = CutStage::kDownload;
  } else if (stage == "install") {
    cut.stage_ = CutStage::kInstall;
  } else if (stage == "commit") {
    cut.stage_ = CutStage::kCommit;
  } else {
    return bad();
  }
  if (percent.empty() || percent.size() > 3 ||
      percent.find_first_not_of("0123456789") != std::string::npos) {
    return bad();
  }
  cut.percent_ = std::stoull(percent);
  if (cut.percent_ > 100) return bad();
  cut.armed_ = true;
  return cut;
}

bool PowerCut::Due(CutStage stage, std::uint64_t done, std::uint64_t total) const {
  if (!armed_ || stage != stage_) return false;
  if (total == 0) return true;
  // done/total >= percent/100, without overflow for any realistic image size
  return done * 100 >= percent_ * total;
}

void PowerCut::Cut(std::string_view where) const {
  Log("power cut: " + std::string(where) + " (SIGKILL)");
  std::raise(SIGKILL);
  std::abort();  // not reached
}

}  // namespace otasim::device
