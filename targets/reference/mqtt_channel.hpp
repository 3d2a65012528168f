// The MQTT(S) flow of targets/PROTOCOL.md: ask for a job on {root}/request/job, take the first
// job document from {root}/jobs/#, fetch the image in chunk windows from {root}/stream/# (or
// over HTTPS in url mode), publish the status report to {root}/status.
#pragma once

#include <memory>

#include "device_config.hpp"
#include "update_channel.hpp"

namespace otasim::device {

Result<std::unique_ptr<UpdateChannel>> MakeMqttChannel(const DeviceConfig& config,
                                                       const Flaws& flaws = {});

}  // namespace otasim::device
