#include "device_state.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "otasim/files.hpp"

namespace otasim::device {
namespace {

using nlohmann::json;

constexpr std::uint64_t kMaxStateFileBytes = 64 * 1024;

Result<json> ReadJson(const std::filesystem::path& path) {
  OTASIM_TRY(auto text, ReadFile(path, kMaxStateFileBytes));
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded() || !value.is_object()) {
    return MakeError(Errc::kParse, path.string() + ": not a JSON object");
  }
  return value;
}

Result<std::string> StringField(const json& object, const char* key,
                                const std::filesystem::path& path) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) {
    return MakeError(Errc::kParse, path.string() + ": " + key + ": missing or not a string");
  }
  return it->get<std::string>();
}

Result<std::uint64_t> NumberField(const json& object, const char* key,
                                  const std::filesystem::path& path) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number_unsigned()) {
    return MakeError(Errc::kParse, path.string() + ": " + key + ": missing or not a number");
  }
  return it->get<std::uint64_t>();
}

}  // namespace

std::string_view SlotName(Slot slot) noexcept { return slot == Slot::kA ? "A" : "B"; }
Slot OtherSlot(Slot slot) noexcept { return slot == Slot::kA ? Slot::kB : Slot::kA; }

std::filesystem::path StateDir::SlotImage(Slot slot) const {
  return SlotsDir() / (std::string(SlotName(slot)) + ".img");
}

std::filesystem::path StateDir::SlotManifest(Slot slot) const {
  return SlotsDir() / (std::string(SlotName(slot)) + ".manifest.json");
}

Result<Identity> LoadIdentity(const StateDir& dir) {
  OTASIM_TRY(auto doc, ReadJson(dir.Identity()));
  Identity identity;
  OTASIM_TRY(identity.device_id, StringField(doc, "device_id", dir.Identity()));
  OTASIM_TRY(identity.vendor_id, StringField(doc, "vendor_id", dir.Identity()));
  OTASIM_TRY(identity.class_id, StringField(doc, "class_id", dir.Identity()));
  return identity;
}

Status SaveIdentity(const StateDir& dir, const Identity& identity) {
  const json doc = {{"device_id", identity.device_id},
                    {"vendor_id", identity.vendor_id},
                    {"class_id", identity.class_id}};
  return WriteFileAtomic(dir.Identity(), doc.dump(2) + "\n");
}

Result<Meta> LoadMeta(const StateDir& dir) {
  OTASIM_TRY(auto doc, ReadJson(dir.Meta()));
  Meta meta;
  OTASIM_TRY(auto boot, StringField(doc, "boot_slot", dir.Meta()));
  if (boot != "A" && boot != "B") {
    return MakeError(Errc::kParse, dir.Meta().string() + ": boot_slot: not A or B");
  }
  meta.boot_slot = boot == "A" ? Slot::kA : Slot::kB;
  OTASIM_TRY(meta.counter, NumberField(doc, "counter", dir.Meta()));
  OTASIM_TRY(meta.installs, NumberField(doc, "installs", dir.Meta()));
  OTASIM_TRY(meta.last_result, StringField(doc, "last_result", dir.Meta()));
  OTASIM_TRY(meta.last_reason, StringField(doc, "last_reason", dir.Meta()));
  if (doc.contains("self_test")) {
    OTASIM_TRY(meta.self_test, StringField(doc, "self_test", dir.Meta()));
  }
  return meta;
}

Status SaveMeta(const StateDir& dir, const Meta& meta) {
  const json doc = {{"boot_slot", SlotName(meta.boot_slot)},
                    {"counter", meta.counter},
                    {"installs", meta.installs},
                    {"last_result", meta.last_result},
                    {"last_reason", meta.last_reason},
                    {"self_test", meta.self_test}};
  return WriteFileAtomic(dir.Meta(), doc.dump(2) + "\n");
}

std::optional<Progress> LoadProgress(const StateDir& dir) {
  auto doc = ReadJson(dir.Progress());
  if (!doc) return std::nullopt;
  Progress progress;
  auto sha = StringField(*doc, "manifest_sha256", dir.Progress());
  auto bytes = NumberField(*doc, "bytes", dir.Progress());
  auto file = StringField(*doc, "file", dir.Progress());
  if (!sha || !bytes || !file) return std::nullopt;
  progress.manifest_sha256 = *sha;
  progress.bytes = *bytes;
  progress.file = *file;
  return progress;
}

Status SaveProgress(const StateDir& dir, const Progress& progress) {
  const json doc = {{"manifest_sha256", progress.manifest_sha256},
                    {"bytes", progress.bytes},
                    {"file", progress.file}};
  return WriteFileAtomic(dir.Progress(), doc.dump() + "\n");
}

void ClearProgress(const StateDir& dir) {
  std::error_code ec;
  std::filesystem::remove(dir.Progress(), ec);
}

}  // namespace otasim::device
