// The HTTP(S) flow of targets/PROTOCOL.md: GET the manifest, GET the image (Range to resume),
// POST the status report. The image download is shared with the MQTT flow's url mode.
#pragma once

#include <memory>
#include <string>

#include "device_config.hpp"
#include "http_types.hpp"
#include "update_channel.hpp"

namespace otasim::device {

// TLS material from the config's tls block; the deadline from limits.timeout_ms. Errors name
// the field of the file that could not be read.
// The server's certificate must chain to tls.ca_file and name the URL's host, unless a flaw
// (trust-any-server-cert, no-hostname-check) removes that check.
Result<http::ClientOptions> MakeHttpClientOptions(const DeviceConfig& config,
                                                  const Flaws& flaws = {});

// One GET of an absolute image URL from request.offset (Range), judged on its header first:
// a wrong status or Content-Range is kNetwork with nothing stored; a 200 to a Range request
// gives the sink a transfer that starts at byte 0.
Transfer FetchHttpImage(const std::string& url, const http::ClientOptions& options,
                        const ImageRequest& request, ImageSink& sink);

Result<std::unique_ptr<UpdateChannel>> MakeHttpChannel(const DeviceConfig& config,
                                                       const Flaws& flaws = {});

}  // namespace otasim::device
