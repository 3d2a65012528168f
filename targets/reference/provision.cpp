#include "provision.hpp"

#include "boot.hpp"
#include "exit_codes.hpp"
#include "file_io.hpp"
#include "log.hpp"
#include "otasim/files.hpp"
#include "otasim/root_document.hpp"
#include "trust_store.hpp"

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
  // Each anchor is a PEM public key or a signed root document; a root document stands alone.
  std::vector<std::string> anchor_texts;
  std::optional<std::uint64_t> root_version;
  for (std::size_t i = 0; i < config.trust_anchors.size(); ++i) {
    const std::string field = "trust_anchors[" + std::to_string(i) + "]";
    auto text = ReadFile(config.trust_anchors[i], 64 * 1024);
    if (!text) {
      Log("provision: " + field + ": " + text.error().message());
      return kExitUsage;
    }
    auto kind = TrustStore::CheckAnchor(*text);
    if (!kind) {
      Log("provision: " + field + ": neither a public key nor a root document: " +
          kind.error().message());
      return kExitUsage;
    }
    if (*kind == "root") {
      if (config.trust_anchors.size() != 1) {
        Log("provision: " + field + ": a root document must be the only trust anchor");
        return kExitUsage;
      }
      auto envelope = manifest::ParseEnvelope(*text);
      root_version = manifest::ParseRoot(envelope.value().signed_bytes).value().version;
    }
    anchor_texts.push_back(std::move(*text));
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
  for (std::size_t i = 0; i < anchor_texts.size(); ++i) {
    const fs::path path = root_version ? RootFile(dir, *root_version)
                                       : dir.TrustDir() / ("anchor-" + std::to_string(i) + ".pem");
    if (auto saved = WriteFileAtomic(path, anchor_texts[i]); !saved) {
      Log("provision: " + saved.error().message());
      return kExitError;
    }
  }
  if (auto installed = InstallInitialFirmware(dir, firmware, *envelope_text); !installed) {
    Log("provision: " + installed.error().message());
    return kExitError;
  }

  // The factory image must verify like any other: a device that can't boot is misconfigured.
  auto trust = TrustStore::Load(dir);
  if (!trust) {
    Log("provision: " + trust.error().message());
    return kExitError;
  }
  const SlotReport report = InspectSlot(dir, Slot::kA, &*trust, flaws);
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
      std::to_string(report.manifest->sequence) + ", " + trust->Describe() + ", flaws: " + DescribeFlaws(flaws));
  return kExitOk;
}

}  // namespace otasim::device
