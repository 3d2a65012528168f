#define BOOST_TEST_MODULE swu_description
#include <boost/test/unit_test.hpp>

#include <string>

#include "formats/swu/sw_description.hpp"

namespace swu = otasim::formats::swu;

namespace {

otasim::manifest::Manifest HonestManifest() {
  otasim::manifest::Manifest m;
  m.vendor_id = "otasim-vendor";
  m.class_id = "otasim-class-a";
  m.version = "2.0.0";
  m.sequence = 7;
  m.image = {.digest = std::string(64, 'a'), .size = 4096, .uri = "images/v2.bin"};
  m.issued = "2026-01-01T00:00:00Z";
  m.expires = "2030-01-01T00:00:00Z";
  return m;
}

}  // namespace

BOOST_AUTO_TEST_CASE(quoting_keeps_hostile_text_inside_one_string) {
  BOOST_TEST(swu::QuoteLibconfig("plain 1.0") == "\"plain 1.0\"");
  BOOST_TEST(swu::QuoteLibconfig("a\"; evil = \"b") == "\"a\\\"; evil = \\\"b\"");
  BOOST_TEST(swu::QuoteLibconfig("back\\slash") == "\"back\\\\slash\"");
  BOOST_TEST(swu::QuoteLibconfig("line\nbreak\ttab") == "\"line\\x0Abreak\\x09tab\"");
  BOOST_TEST(swu::QuoteLibconfig(std::string("nul\0x", 5)) == "\"nul\\x00x\"");
  BOOST_TEST(swu::QuoteLibconfig("\xc3\xa9\x7f") == "\"\\xC3\\xA9\\x7F\"");
  // No raw quote, backslash-free quote or control byte survives unescaped.
  const std::string quoted = swu::QuoteLibconfig("\"}\n);\\\"");
  for (std::size_t i = 1; i + 1 < quoted.size(); ++i) {
    BOOST_TEST(static_cast<unsigned char>(quoted[i]) >= 0x20);
    if (quoted[i] == '"') BOOST_TEST(quoted[i - 1] == '\\');
  }
}

BOOST_AUTO_TEST_CASE(the_device_class_becomes_the_hardware_revision) {
  const swu::DeviceSlot slot{.hardware = "1.0", .device_class = "otasim-class-a",
                             .handler = "rawfile", .slot_path = "/var/slot.bin",
                             .image_name = "firmware.bin"};
  const swu::SwDescription d = swu::FromManifest(HonestManifest(), slot);
  BOOST_TEST(d.version == "2.0.0");
  BOOST_TEST(d.hardware == "1.0");
  BOOST_TEST(d.sha256 == std::string(64, 'a'));
  BOOST_TEST(d.slot_path == "/var/slot.bin");
  BOOST_TEST(d.description.find("sequence 7") != std::string::npos);
  BOOST_TEST(d.description.find("expires 2030-01-01T00:00:00Z") != std::string::npos);

  otasim::manifest::Manifest other = HonestManifest();
  other.class_id = "otasim-class-b";
  BOOST_TEST(swu::FromManifest(other, slot).hardware == "otasim-class-b");
}

BOOST_AUTO_TEST_CASE(the_text_names_every_field_and_the_handler_target) {
  swu::SwDescription d{.version = "2.0.0", .hardware = "1.0", .description = "seq 7",
                       .image_name = "firmware.bin", .handler = "rawfile",
                       .slot_path = "/tmp/slot.bin", .sha256 = "ab"};
  const std::string text = swu::WriteSwDescription(d);
  BOOST_TEST(text.find("version = \"2.0.0\";") != std::string::npos);
  BOOST_TEST(text.find("hardware-compatibility: [ \"1.0\" ];") != std::string::npos);
  BOOST_TEST(text.find("filename = \"firmware.bin\";") != std::string::npos);
  BOOST_TEST(text.find("type = \"rawfile\";") != std::string::npos);
  BOOST_TEST(text.find("path = \"/tmp/slot.bin\";") != std::string::npos);
  BOOST_TEST(text.find("sha256 = \"ab\";") != std::string::npos);
  d.handler = "raw";
  BOOST_TEST(swu::WriteSwDescription(d).find("device = \"/tmp/slot.bin\";") != std::string::npos);
}
