// Fuzzes the MQTT payload parsers on both ends: server.mqtt-jobs' job and chunk requests and the
// status report (plugins/servers), and the reference device's job document and chunk topics
// (targets/reference/mqtt_job). The first byte picks the parser, the rest is the payload.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status_report.hpp"
#include "mqtt_jobs/job_messages.hpp"
#include "reference/mqtt_job.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace otasim;
  if (size == 0) return 0;
  const std::string payload(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0:
      (void)servers::mqtt_jobs::ParseJobRequest(payload);
      break;
    case 1:
      if (auto chunk = servers::mqtt_jobs::ParseChunkRequest(payload)) {
        if (chunk->length == 0 || chunk->length > servers::mqtt_jobs::kMaxChunkRequestBytes) {
          __builtin_trap();
        }
      }
      break;
    case 2:
      if (auto report = servers::ParseStatusReport(payload)) {
        // The code kept is the code sent: a number that does not fit an int must be refused.
        const auto code = report->raw.find("code");
        if (code != report->raw.end() && *code != report->code) __builtin_trap();
      }
      break;
    case 3:
      if (auto job = device::ParseJobDocument(payload)) {
        if (job->envelope.has_value() != job->image.has_value()) __builtin_trap();
      }
      break;
    case 4:
      (void)device::ChunkOffset(payload, "ota/dev-0001/stream/v2.bin/");
      break;
    case 5:
      // What the server makes of an envelope it is told to serve.
      (void)servers::mqtt_jobs::StreamNameOf(payload);
      break;
  }
  return 0;
}
