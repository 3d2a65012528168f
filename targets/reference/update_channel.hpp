// The transport of an update cycle, behind one small interface: fetch the manifest envelope,
// fetch image bytes from an offset into a sink, send the status report. The cycle (updater.cpp)
// and the download (image_download.cpp) never see HTTP, CoAP or MQTT; each protocol's flow of
// targets/PROTOCOL.md lives in its own channel (http_channel.cpp, coap_channel.cpp,
// mqtt_channel.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "device_config.hpp"
#include "flaws.hpp"
#include "otasim/result.hpp"

namespace otasim::device {

// A step that did not succeed, with its reason from the contract's vocabulary: `size` and
// `format` are refusals (exit 20); `tls`, `timeout`, `interrupted`, `network` are failures
// (exit 30).
struct StepFailure {
  std::string reason;
  std::string detail;  // for the log: what and where
};

// Step 1: what the server offers.
struct Offer {
  std::optional<std::string> envelope;  // nullopt: nothing offered
  std::optional<StepFailure> failure;   // the step failed; `envelope` is then empty
};

// Where the bytes of one image transfer begin and what the server declares about them. Given
// to the sink before the first byte, so that a wrong length is refused with nothing stored.
struct TransferHead {
  std::uint64_t start = 0;                       // image offset of the first byte that follows
  std::optional<std::uint64_t> declared_length;  // bytes from `start` on (HTTP Content-Length)
  std::optional<std::uint64_t> declared_total;   // the whole image (CoAP Size2)
};

// Receives one image transfer (implemented by the download). The channel calls Begin once,
// before any byte, then Write with the bytes in order; either returning false ends the transfer
// at once (the sink knows why).
class ImageSink {
 public:
  virtual ~ImageSink() = default;
  virtual bool Begin(const TransferHead& head) = 0;
  virtual bool Write(const std::uint8_t* data, std::size_t size) = 0;
};

struct ImageRequest {
  std::string location;      // from ResolveImage
  std::uint64_t offset = 0;  // ask for the image from this byte (a resume)
  std::uint64_t size = 0;    // image.size from the verified manifest
  bool enforce_size = true;  // false only under the no-size-check flaw
  // The stall deadline (limits.timeout_ms on every read of the image); false only under the
  // no-timeout flaw, when the channel waits for image bytes without a deadline.
  bool stall_deadline = true;
};

// How an image transfer ended, as the channel saw it. Stopped by the sink (Begin or Write
// returned false): the sink's reason wins over whatever is reported here.
enum class TransferEnd {
  kComplete,     // the server says the image ended here
  kInterrupted,  // it stopped early after some bytes: keep them for a resume
  kTimeout,      // nothing came within the deadline
  kTls,
  kNetwork,      // connect failed, an error status or code, a malformed answer
  kSize,         // the server's own declarations disagree (CoAP: Size2 changed mid-transfer)
};

struct Transfer {
  TransferEnd end = TransferEnd::kComplete;
  std::string detail;
};

class UpdateChannel {
 public:
  virtual ~UpdateChannel() = default;

  // "GET coaps://127.0.0.1:5684/dev-0001/manifest", for the log.
  virtual std::string Describe() const = 0;
  // Step 1. An envelope over manifest::kMaxEnvelopeBytes is refused unread (`size`).
  virtual Offer FetchManifest() = 0;
  // Where image.uri of the verified manifest points. kParse: a bad uri (`format`); any other
  // error is `network`.
  virtual Result<std::string> ResolveImage(const std::string& uri) = 0;
  // A resume restarts at a multiple of this (CoAP: the block size; else 1 byte).
  virtual std::uint64_t ResumeUnit() const = 0;
  // Step 3: the image bytes from request.offset into the sink.
  virtual Transfer FetchImage(const ImageRequest& request, ImageSink& sink) = 0;
  // Step 5: the JSON status report. Returns what the server answered, for the log; a failure
  // is logged by the caller, never fatal.
  virtual Result<std::string> SendStatus(const std::string& report_json) = 0;
};

// The channel for config.protocol. Errors are configuration errors (exit 2) naming the field:
// an unreadable CA or key file, a malformed PSK. The transport flaws (trust-any-server-cert,
// no-hostname-check, plaintext-fallback) act in the channels' connection set-up.
Result<std::unique_ptr<UpdateChannel>> OpenChannel(const DeviceConfig& config,
                                                   const Flaws& flaws = {});

}  // namespace otasim::device
