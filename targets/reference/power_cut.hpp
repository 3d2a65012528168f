// Simulated power cuts: OTASIM_POWER_CUT=STAGE:PERCENT (targets/PROTOCOL.md, "Power cuts").
// At the chosen point the device kills itself with SIGKILL: no clean-up, like losing power.
// Callers sync what they wrote before calling Cut(), because a real power cut loses only what
// had not reached storage yet.
#pragma once

#include <cstdint>
#include <string_view>

#include "otasim/result.hpp"

namespace otasim::device {

enum class CutStage { kDownload, kInstall, kCommit };

class PowerCut {
 public:
  // Reads OTASIM_POWER_CUT; unset or empty means never. A malformed value is kInvalidArgument.
  static Result<PowerCut> FromEnvironment();

  // Whether the cut is due at `stage` after `done` of `total` units (bytes) of its work.
  bool Due(CutStage stage, std::uint64_t done, std::uint64_t total) const;
  [[noreturn]] void Cut(std::string_view where) const;

 private:
  bool armed_ = false;
  CutStage stage_ = CutStage::kDownload;
  std::uint64_t percent_ = 0;
};

}  // namespace otasim::device
