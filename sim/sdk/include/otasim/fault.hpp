// Device faults: things that happen to the device rather than to what it is served.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "otasim/result.hpp"
#include "otasim/session.hpp"

namespace otasim {

// A power cut at a named point of the device's update: download, install or commit.
struct PowerCut {
  std::string stage;     // "download", "install", "commit"
  double percent = 50;   // how far into the stage
};

class Fault {
 public:
  virtual ~Fault() = default;
  virtual Status Prepare(SessionContext& session) { (void)session; return {}; }
  // The power cut this fault asks the target adapter to inflict during the step's action.
  virtual std::optional<PowerCut> PowerCutPlan() const { return std::nullopt; }
};

}  // namespace otasim
