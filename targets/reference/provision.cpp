#include "provision.hpp"

#include "boot.hpp"
#include "exit_codes.hpp"
#include "file_io.hpp"
#include "log.hpp"
#include "otasim/files.hpp"

namespace otasim::device {
namespace {

namespace fs = std::filesystem;

// A factory reset: forget everything this device stored before, then lay out the directories.
Status ResetStorage(const StateDir& dir) {
  std::error_code ec;
  for (const fs::path& path :
       {dir.SlotsDir(), dir.DownloadDir(), dir.TrustDir(), dir.Meta(), dir.Identity()}) {
    fs::remove_all(path, ec);
    if (ec) return MakeError(Errc::kIo, "remove " + path.string() + ": " + ec.message());
  }
  for (const fs::path& path : {dir.SlotsDir(), dir.DownloadDir(), dir.TrustDir()}) {
    fs::create_directories(path, ec);
    if (ec) return MakeError(Errc::kIo, "create " + path.string() + ": " + ec.message());
  }
  return {};
}

Status InstallInitialFirmware(const StateDir& dir, const InitialFirmware& firmware,
                              const std::string& envelope_text) {
  OTASIM_TRY(auto out, OutputFile::Open(dir.SlotImage(Slot::kA), true));
  OTASIM_CHECK(CopyFileSynced(firmware.image, out));
  OTASIM_CHECK(WriteFileAtomic(dir.SlotManifest(Slot::kA), envelope_text));
  return SyncDirectory(dir.SlotsDir());
}

}  // namespace

int RunProvision(const StateDir& dir, const DeviceConfig& config, const Flaws& flaws) {
  // Check every input before touching the storage: a bad configuration changes nothing.
  std::vector<std::string> anchor_pems;
  for (std::size_t i = 0; i < config.trust_anchors.size(); ++i) {
    const std::string field = "trust_anchors[" + std::to_string(i) + "]";
    auto pem = ReadFile(config.trust_anchors[i], 64 * 1024);
    if (!pem) {
      Log("provision: " + field + ": " + pem.error().message());
      return kExitUsage;
    }
    if (auto key = crypto::PublicKey::FromPem(*pem); !key) {
      Log("provision: " + field + ": not a public key: " + key.error().message());
      return kExitUsage;
    }
    anchor_pems.push_back(std::move(*pem));
  }
  const InitialFirmware& firmware = *config.initial_firmware;
  auto envelope_text = ReadFile(firmware.manifest, manifest::kMaxEnvelopeBytes);
  if (!envelope_text) {
    Log("provision: initial_firmware.manifest: " + envelope_text.error().message());
    return kExitUsage;
  }
  std::error_code ec;
  if (!fs::is_regular_file(firmware.image, ec)) {
    Log("provision: initial_firmware.image: " + firmware.image.string() + " is not a file");
    return kExitUsage;
  }

  if (auto reset = ResetStorage(dir); !reset) {
    Log("provision: " + reset.error().message());
    return kExitError;
  }
  for (std::size_t i = 0; i < anchor_pems.size(); ++i) {
    const fs::path path = dir.TrustDir() / ("anchor-" + std::to_string(i) + ".pem");
    if (auto saved = WriteFileAtomic(path, anchor_pems[i]); !saved) {
      Log("provision: " + saved.error().message());
      return kExitError;
    }
  }
  if (auto installed = InstallInitialFirmware(dir, firmware, *envelope_text); !installed) {
    Log("provision: " + installed.error().message());
    return kExitError;
  }

  // The factory image must verify like any other: a device that can't boot is misconfigured.
  auto anchors = LoadTrustAnchors(dir);
  if (!anchors) {
    Log("provision: " + anchors.error().message());
    return kExitError;
  }
  const SlotReport report = InspectSlot(dir, Slot::kA, *anchors, flaws);
  if (!report.valid) {
    Log("provision: initial_firmware does not verify: " + report.problem);
    return kExitUsage;
  }

  const Identity identity{config.device_id, config.vendor_id, config.class_id};
  Meta meta;
  meta.boot_slot = Slot::kA;
  meta.counter = report.manifest->sequence;
  if (auto saved = SaveIdentity(dir, identity); !saved) {
    Log("provision: " + saved.error().message());
    return kExitError;
  }
  if (auto saved = SaveMeta(dir, meta); !saved) {
    Log("provision: " + saved.error().message());
    return kExitError;
  }
  Log("provision: " + config.device_id + " (" + config.vendor_id + "/" + config.class_id +
      "): slot A version " + report.manifest->version + " sequence " +
      std::to_string(report.manifest->sequence) + ", " + std::to_string(anchor_pems.size()) +
      " trust anchor(s), flaws: " + DescribeFlaws(flaws));
  return kExitOk;
}

}  // namespace otasim::device
