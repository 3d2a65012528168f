#include "scenario/remote_bundle.hpp"

#include <string>

#include "otasim/files.hpp"

namespace otasim::scenario {

namespace {

// Copies the file `slot` names into `dir` (streamed, permissions kept) and points `slot` at it.
Status CopyInto(nlohmann::json& slot, const std::filesystem::path& dir, const std::string& field) {
  if (!slot.is_string()) return {};
  const std::filesystem::path from = slot.get<std::string>();
  const std::filesystem::path to = dir / from.filename();
  std::error_code ec;
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) {
    return MakeError(Errc::kIo, "remote bundle: copying " + field + " " + from.string() + " to " +
                                    to.string() + ": " + ec.message());
  }
  slot = to.string();
  return {};
}

}  // namespace

Result<nlohmann::json> WriteRemoteBundle(const nlohmann::json& config, const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return MakeError(Errc::kIo, "remote bundle: creating " + dir.string() + ": " + ec.message());
  nlohmann::json bundle = config;
  bundle.erase("now");
  if (auto tls = bundle.find("tls"); tls != bundle.end() && tls->is_object()) {
    for (const char* key : {"ca_file", "client_cert", "client_key"}) {
      if (tls->contains(key)) OTASIM_CHECK(CopyInto((*tls)[key], dir, std::string("tls.") + key));
    }
  }
  if (auto anchors = bundle.find("trust_anchors"); anchors != bundle.end() && anchors->is_array()) {
    for (auto& anchor : *anchors) OTASIM_CHECK(CopyInto(anchor, dir, "trust anchor"));
  }
  if (auto initial = bundle.find("initial_firmware"); initial != bundle.end() && initial->is_object()) {
    for (const char* key : {"manifest", "image"}) {
      if (initial->contains(key)) {
        OTASIM_CHECK(CopyInto((*initial)[key], dir, std::string("initial_firmware.") + key));
      }
    }
  }
  if (auto endpoints = bundle.find("endpoints"); endpoints != bundle.end() && endpoints->is_object()) {
    for (auto& [protocol, block] : endpoints->items()) {
      for (const char* key : {"psk_file", "password_file"}) {
        if (block.is_object() && block.contains(key)) {
          OTASIM_CHECK(CopyInto(block[key], dir, "endpoints." + protocol + "." + key));
        }
      }
    }
  }
  OTASIM_CHECK(WriteFileAtomic(dir / "config.json", bundle.dump(2) + "\n"));
  return bundle;
}

}  // namespace otasim::scenario
