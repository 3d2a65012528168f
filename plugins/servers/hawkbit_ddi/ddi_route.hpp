// What a request to server.hawkbit-ddi asks for, from its method and target alone: the pure
// part of the handler, kept apart from the I/O so that it can be tested (and fuzzed) alone.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace otasim::servers::hawkbit_ddi {

enum class DdiResource {
  kBase,            // GET  /{tenant}/controller/v1/{controller}
  kDeploymentBase,  // GET  .../deploymentBase/{action}
  kFeedback,        // POST .../deploymentBase/{action}/feedback
  kConfigData,      // PUT  .../configData
  kArtifact,        // GET or HEAD .../softwaremodules/{module}/artifacts/{file}
  kOther,           // anything else (404)
};

struct DdiRoute {
  DdiResource resource = DdiResource::kOther;
  std::uint64_t action_id = 0;  // kDeploymentBase, kFeedback
  std::uint64_t module_id = 0;  // kArtifact
  std::string file_name;        // kArtifact (not yet checked against what was offered)
};

// The query (hawkBit adds "?c=-..." to deploymentBase links) is ignored; ids are decimal.
DdiRoute DdiRouteOf(std::string_view method, std::string_view target, std::string_view tenant,
                    std::string_view controller_id);

}  // namespace otasim::servers::hawkbit_ddi
