#include "sw_description.hpp"

#include <cstdio>

namespace otasim::formats::swu {

std::string QuoteLibconfig(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02X", byte);
      out += escaped;
    }
  }
  out += '"';
  return out;
}

SwDescription FromManifest(const manifest::Manifest& manifest, const DeviceSlot& slot) {
  return {.version = manifest.version,
          .hardware = manifest.class_id == slot.device_class ? slot.hardware : manifest.class_id,
          .description = "otasim release " + manifest.version + ", sequence " +
                         std::to_string(manifest.sequence) + ", expires " + manifest.expires,
          .image_name = slot.image_name,
          .handler = slot.handler,
          .slot_path = slot.slot_path,
          .sha256 = manifest.image.digest};
}

std::string WriteSwDescription(const SwDescription& d) {
  // `raw` writes into a device node and takes `device`; `rawfile` writes a file at `path`.
  const char* target_key = d.handler == "raw" ? "device" : "path";
  std::string out;
  out += "software =\n{\n";
  out += "  version = " + QuoteLibconfig(d.version) + ";\n";
  out += "  description = " + QuoteLibconfig(d.description) + ";\n";
  out += "  hardware-compatibility: [ " + QuoteLibconfig(d.hardware) + " ];\n";
  out += "  images: (\n    {\n";
  out += "      filename = " + QuoteLibconfig(d.image_name) + ";\n";
  out += "      type = " + QuoteLibconfig(d.handler) + ";\n";
  out += std::string("      ") + target_key + " = " + QuoteLibconfig(d.slot_path) + ";\n";
  out += "      sha256 = " + QuoteLibconfig(d.sha256) + ";\n";
  out += "    }\n  );\n}\n";
  return out;
}

}  // namespace otasim::formats::swu
