// SWUpdate's sw-description (libconfig syntax) for one image. Pure text building; every string
// is quoted with QuoteLibconfig because attackers control manifest fields.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "otasim/manifest.hpp"

namespace otasim::formats::swu {

struct SwDescription {
  std::string version;               // software.version: SWUpdate compares it with -N / -R
  std::string hardware;              // the one hardware-compatibility entry
  std::string description;           // free text SWUpdate ignores (sequence, expiry)
  std::string image_name;            // the cpio member the image travels in
  std::string handler;               // "rawfile" or "raw"
  std::string slot_path;             // where the handler writes (path for rawfile, device for raw)
  std::string sha256;                // lower-case hex of the image
};

// What the device side fixes: its hardware, its class and where its update slot is.
struct DeviceSlot {
  std::string hardware = "1.0";                // SWUpdate's -H board:REVISION revision
  std::string device_class = "otasim-class-a"; // the manifest class_id this hardware is
  std::string handler = "rawfile";
  std::string slot_path = "/tmp/otasim-slot.bin";
  std::string image_name = "firmware.bin";
};

// The mapping from an otasim manifest: version -> version; class_id -> hardware-compatibility
// (the device's hardware when class_id is the device's class, else the class_id text itself,
// which no `-H board:REVISION` matches, so a wrong-class release is refused); image.digest ->
// sha256; sequence and expires -> description, which SWUpdate ignores (it has neither an
// anti-rollback counter nor an expiry, so those attacks stay visible as findings).
SwDescription FromManifest(const manifest::Manifest& manifest, const DeviceSlot& slot);

// A libconfig string literal: quotes, backslashes and every byte outside printable ASCII
// escaped ("\x0A" style), so no input can end the string or add a setting.
std::string QuoteLibconfig(std::string_view text);

// software = { version = …; description = …; hardware-compatibility: [ … ]; images: ( { … } ); }
std::string WriteSwDescription(const SwDescription& description);

}  // namespace otasim::formats::swu
