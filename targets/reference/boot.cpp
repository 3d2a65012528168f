#include "boot.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "device_config.hpp"
#include "exit_codes.hpp"
#include "log.hpp"
#include "otasim/files.hpp"

namespace otasim::device {
namespace {

using nlohmann::ordered_json;

}  // namespace

SlotReport InspectSlot(const StateDir& dir, Slot slot,
                       std::span<const crypto::PublicKey> trust_anchors, const Flaws& flaws) {
  SlotReport report;
  report.slot = slot;
  std::error_code ec;
  if (!std::filesystem::exists(dir.SlotImage(slot), ec)) {
    report.problem = "no image";
    return report;
  }
  auto digest = crypto::Sha256FileHex(dir.SlotImage(slot));
  if (!digest) {
    report.problem = "image unreadable: " + digest.error().message();
    return report;
  }
  report.digest = *digest;

  auto text = ReadFile(dir.SlotManifest(slot), manifest::kMaxEnvelopeBytes);
  if (!text) {
    report.problem = "no manifest";
    return report;
  }
  auto envelope = manifest::ParseEnvelope(*text);
  if (!envelope) {
    report.problem = "manifest envelope: " + envelope.error().detail;
    return report;
  }
  auto stored = manifest::ParseManifest(envelope.value().signed_bytes);
  if (!stored) {
    report.problem = "manifest: " + stored.error().detail;
    return report;
  }
  report.manifest = stored.value();

  if (flaws.skip_signature) {
    // FLAW skip-signature: the stored manifest's signature is not checked.
  } else {
    auto verified = manifest::Verify(envelope.value(), trust_anchors);
    if (!verified) {
      report.problem = "signature: " + verified.error().detail;
      return report;
    }
  }

  const auto& image = report.manifest->image;
  if (flaws.skip_digest) {
    // FLAW skip-digest: the slot image is not compared with its manifest.
  } else {
    const auto size = std::filesystem::file_size(dir.SlotImage(slot), ec);
    if (ec || size != image.size) {
      report.problem =
          "size " + std::to_string(ec ? 0 : size) + " != manifest " + std::to_string(image.size);
      return report;
    }
    if (*digest != image.digest) {
      report.problem = "digest mismatch";
      return report;
    }
  }
  report.valid = true;
  return report;
}

BootChoice ChooseBoot(const StateDir& dir, const Meta& meta,
                      std::span<const crypto::PublicKey> trust_anchors, const Flaws& flaws) {
  BootChoice choice;
  choice.slots[0] = InspectSlot(dir, Slot::kA, trust_anchors, flaws);
  choice.slots[1] = InspectSlot(dir, Slot::kB, trust_anchors, flaws);
  if (choice.Report(meta.boot_slot).valid) {
    choice.slot = meta.boot_slot;
  } else if (choice.Report(OtherSlot(meta.boot_slot)).valid) {
    choice.slot = OtherSlot(meta.boot_slot);
    choice.fell_back = true;
  }
  return choice;
}

int RunBoot(const StateDir& dir, const Flaws& flaws) {
  auto meta = LoadMeta(dir);
  if (!meta) {
    Log("boot: bricked: no device state: " + meta.error().message());
    return kExitBricked;
  }
  auto anchors = LoadTrustAnchors(dir);
  if (!anchors) {
    Log("boot: bricked: no root of trust: " + anchors.error().message());
    return kExitBricked;
  }
  const BootChoice choice = ChooseBoot(dir, *meta, *anchors, flaws);
  if (!choice.slot) {
    Log("boot: bricked: slot A: " + choice.Report(Slot::kA).problem +
        "; slot B: " + choice.Report(Slot::kB).problem);
    return kExitBricked;
  }
  const Slot slot = *choice.slot;
  if (choice.fell_back) {
    Log("boot: slot " + std::string(SlotName(meta->boot_slot)) + " does not verify (" +
        choice.Report(meta->boot_slot).problem + "); falling back to slot " +
        std::string(SlotName(slot)));
    meta->boot_slot = slot;
    if (auto saved = SaveMeta(dir, *meta); !saved) {
      Log("boot: cannot record the fallback: " + saved.error().message());
    }
  }
  const auto& running = *choice.Report(slot).manifest;
  Log("boot: running slot " + std::string(SlotName(slot)) + " version " + running.version +
      " sequence " + std::to_string(running.sequence));
  return kExitOk;
}

int RunState(const StateDir& dir, const Flaws& flaws) {
  auto meta = LoadMeta(dir);
  if (!meta) {
    Log("state: no device state (not provisioned?): " + meta.error().message());
    return kExitError;
  }
  // Without a root of trust nothing verifies; report that rather than fail.
  auto anchors = LoadTrustAnchors(dir);
  if (!anchors) Log("state: no root of trust: " + anchors.error().message());
  const std::vector<crypto::PublicKey> none;
  const BootChoice choice =
      ChooseBoot(dir, *meta, anchors ? std::span<const crypto::PublicKey>(*anchors) : none, flaws);

  ordered_json slots = ordered_json::array();
  for (const SlotReport& report : choice.slots) {
    ordered_json item = {{"name", SlotName(report.slot)}};
    item["version"] = report.manifest ? ordered_json(report.manifest->version) : ordered_json();
    item["sequence"] = report.manifest ? ordered_json(report.manifest->sequence) : ordered_json();
    item["digest"] = report.digest ? ordered_json(*report.digest) : ordered_json();
    item["valid"] = report.valid;
    slots.push_back(std::move(item));
  }
  ordered_json running;  // null when nothing would boot
  if (choice.slot) {
    const auto& m = *choice.Report(*choice.slot).manifest;
    running = {{"version", m.version}, {"sequence", m.sequence}, {"slot", SlotName(*choice.slot)}};
  }
  const ordered_json out = {{"contract", kContract},
                            {"running", running},
                            {"slots", slots},
                            {"bootable", choice.slot.has_value()},
                            {"counter", meta->counter},
                            {"installs", meta->installs},
                            {"last_result", meta->last_result},
                            {"last_reason", meta->last_reason}};
  const std::string text = out.dump() + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace otasim::device
