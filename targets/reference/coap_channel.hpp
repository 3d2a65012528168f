// The CoAP(S) flow of targets/PROTOCOL.md: GET the manifest, GET the image block-wise (Block2,
// resumed from a block number), POST the status report; DTLS with certificates or a PSK.
#pragma once

#include <memory>

#include "device_config.hpp"
#include "update_channel.hpp"

namespace otasim::device {

Result<std::unique_ptr<UpdateChannel>> MakeCoapChannel(const DeviceConfig& config,
                                                       const Flaws& flaws = {});

}  // namespace otasim::device
