#include "boot.hpp"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "device_config.hpp"
#include "exit_codes.hpp"
#include "log.hpp"
#include "otasim/files.hpp"

namespace otasim::device {
namespace {

using nlohmann::ordered_json;

// The first boot of a newly installed image: its self-test decides whether it stays. A failing
// image is reverted to the previous slot when that one verifies (else it keeps running: a
// failing image beats a bricked device). The decision is stored, so it is made once.
void RunFirstBootSelfTest(const StateDir& dir, Meta& meta, BootChoice& choice, const Flaws& flaws) {
  const Slot tested = *choice.slot;
  auto passes = SelfTestPasses(dir, tested);
  if (!passes) {
    Log("boot: self-test of slot " + std::string(SlotName(tested)) +
        " could not run: " + passes.error().message());
  }
  if (passes && *passes) {
    Log("boot: self-test of slot " + std::string(SlotName(tested)) + " passed");
    meta.self_test = "passed";
  } else if (flaws.no_self_test_revert) {
    // FLAW no-self-test-revert: the image that failed its self-test keeps running.
    Log("flaw no-self-test-revert: slot " + std::string(SlotName(tested)) +
        " failed its self-test and keeps running");
    meta.self_test = "failed";
  } else if (choice.Report(OtherSlot(tested)).valid) {
    const Slot previous = OtherSlot(tested);
    Log("boot: self-test of slot " + std::string(SlotName(tested)) +
        " failed; reverting to slot " + std::string(SlotName(previous)));
    meta.boot_slot = previous;
    meta.self_test = "reverted";
    meta.last_result = "reverted";
    meta.last_reason = "self-test";
    choice.slot = previous;
  } else {
    Log("boot: self-test of slot " + std::string(SlotName(tested)) +
        " failed and no other slot verifies; keeping it");
    meta.self_test = "failed";
  }
  if (auto saved = SaveMeta(dir, meta); !saved) {
    Log("boot: cannot record the self-test: " + saved.error().message());
  }
}

}  // namespace

Result<bool> SelfTestPasses(const StateDir& dir, Slot slot) {
  // Only the image's first bytes matter: a real self-test would run the image.
  std::ifstream image(dir.SlotImage(slot), std::ios::binary);
  if (!image) return MakeError(Errc::kIo, "cannot open " + dir.SlotImage(slot).string());
  std::string head(kSelfTestFailMarker.size(), '\0');
  image.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(image.gcount()));
  return head != kSelfTestFailMarker;
}

SlotReport InspectSlot(const StateDir& dir, Slot slot, const TrustStore* trust, const Flaws& flaws) {
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
    if (trust == nullptr) {
      report.problem = "signature: no root of trust";
      return report;
    }
    auto verified = trust->VerifyStored(envelope.value(), flaws);
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

BootChoice ChooseBoot(const StateDir& dir, const Meta& meta, const TrustStore* trust,
                      const Flaws& flaws) {
  BootChoice choice;
  choice.slots[0] = InspectSlot(dir, Slot::kA, trust, flaws);
  choice.slots[1] = InspectSlot(dir, Slot::kB, trust, flaws);
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
  auto trust = TrustStore::Load(dir);
  if (!trust) {
    Log("boot: bricked: no root of trust: " + trust.error().message());
    return kExitBricked;
  }
  BootChoice choice = ChooseBoot(dir, *meta, &*trust, flaws);
  if (!choice.slot) {
    Log("boot: bricked: slot A: " + choice.Report(Slot::kA).problem +
        "; slot B: " + choice.Report(Slot::kB).problem);
    return kExitBricked;
  }
  if (!choice.fell_back && meta->self_test == "pending") {
    RunFirstBootSelfTest(dir, *meta, choice, flaws);
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
  auto trust = TrustStore::Load(dir);
  if (!trust) Log("state: no root of trust: " + trust.error().message());
  const BootChoice choice = ChooseBoot(dir, *meta, trust ? &*trust : nullptr, flaws);

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
                            {"last_reason", meta->last_reason},
                            {"self_test", meta->self_test}};
  const std::string text = out.dump() + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace otasim::device
