#include "updater.hpp"

#include <csignal>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "exit_codes.hpp"
#include "file_io.hpp"
#include "image_download.hpp"
#include "log.hpp"
#include "otasim/crypto.hpp"
#include "otasim/files.hpp"
#include "otasim/manifest.hpp"
#include "otasim/time.hpp"
#include "trust_store.hpp"
#include "update_channel.hpp"

namespace otasim::device {
namespace {

namespace fs = std::filesystem;

// What one cycle ended with: the exit code, last_result/last_reason and the status report.
struct Outcome {
  int code = kExitOk;
  std::string result;  // installed, no-update, rejected, failed
  std::string reason;  // the contract's vocabulary
  std::string detail;  // for the log
};

Outcome Installed(std::string detail) { return {kExitOk, "installed", "none", std::move(detail)}; }
Outcome NoUpdate(std::string reason, std::string detail) {
  return {kExitNoUpdate, "no-update", std::move(reason), std::move(detail)};
}
Outcome Rejected(std::string reason, std::string detail) {
  return {kExitRejected, "rejected", std::move(reason), std::move(detail)};
}
Outcome Failed(std::string reason, std::string detail) {
  return {kExitFailed, "failed", std::move(reason), std::move(detail)};
}

// size and format are refusals of what the server sent; the rest are failures to get it.
Outcome FromStepFailure(const StepFailure& failure) {
  if (failure.reason == "size" || failure.reason == "format") {
    return Rejected(failure.reason, failure.detail);
  }
  return Failed(failure.reason, failure.detail);
}

std::string ManifestReason(manifest::Failure failure) {
  switch (failure) {
    case manifest::Failure::kMalformed:
    case manifest::Failure::kBadFormat: return "format";
    default: return "signature";
  }
}

class UpdateCycle {
 public:
  UpdateCycle(const StateDir& dir, const DeviceConfig& config, const Flaws& flaws,
              const PowerCut& cut, Identity identity, Meta meta,
              TrustStore trust, UpdateChannel& channel)
      : dir_(dir),
        config_(config),
        flaws_(flaws),
        cut_(cut),
        identity_(std::move(identity)),
        meta_(std::move(meta)),
        trust_(std::move(trust)),
        channel_(channel) {}

  int Run() {
    Outcome outcome = Cycle();
    if (outcome.result != "installed") {
      Log(outcome.result + ": " + outcome.reason + " (" + outcome.detail + ")");
      // Only the last result changes: a rejected or replayed update leaves everything else.
      meta_.last_result = outcome.result;
      meta_.last_reason = outcome.reason;
      if (auto saved = SaveMeta(dir_, meta_); !saved) {
        Log("cannot record the result: " + saved.error().message());
      }
    } else {
      Log("installed: " + outcome.detail);
    }
    if (outcome.code != kExitNoUpdate) SendStatus(outcome);
    return outcome.code;
  }

 private:
  Outcome Cycle() {
    Log("check: " + channel_.Describe());
    Offer offer = channel_.FetchManifest();
    if (offer.failure) return FromStepFailure(*offer.failure);
    if (!offer.envelope) return NoUpdate("none", "the server offers nothing");
    return Evaluate(*offer.envelope);
  }

  // Step 2: the checks on the manifest, in the contract's order (the same on every protocol).
  Outcome Evaluate(const std::string& envelope_text) {
    auto envelope = manifest::ParseEnvelope(envelope_text);
    if (!envelope) return Rejected("format", "envelope: " + envelope.error().detail);
    // What was offered, as claimed (unverified): for the log and the status report only.
    if (auto claimed = manifest::ParseManifest(envelope.value().signed_bytes)) {
      offered_ = claimed.value();
    }

    if (flaws_.reject_all) {
      // FLAW reject-all: every offered update is refused, as if no signature verified.
      return Rejected("signature", "flaw reject-all refuses every update");
    }
    std::optional<manifest::Manifest> verified;
    if (flaws_.skip_signature) {
      // FLAW skip-signature: the signed bytes are parsed without checking any signature.
      Log("flaw skip-signature: manifest signature not checked");
      auto parsed = manifest::ParseManifest(envelope.value().signed_bytes);
      if (!parsed) return Rejected(ManifestReason(parsed.error().failure), parsed.error().detail);
      verified = parsed.value();
    } else {
      // Root updates first (a rotation may be what makes the new signer trusted), then the
      // manifest against the current root.
      auto checked = trust_.VerifyOffer(dir_, envelope.value(), config_.Now(), flaws_);
      if (!checked) {
        return Rejected(ManifestReason(checked.error().failure),
                        std::string(manifest::FailureName(checked.error().failure)) + ": " +
                            checked.error().detail);
      }
      verified = checked.value();
    }
    const manifest::Manifest& m = *verified;
    offered_ = m;
    Log("check: offered version " + m.version + " sequence " + std::to_string(m.sequence) +
        " (counter " + std::to_string(meta_.counter) + ")");

    if (m.format != manifest::kFormat) return Rejected("format", "format '" + m.format + "'");

    if (flaws_.no_class_check) {
      // FLAW no-class-check: vendor_id and class_id are not compared.
      Log("flaw no-class-check: vendor_id/class_id not compared");
    } else if (m.vendor_id != identity_.vendor_id || m.class_id != identity_.class_id) {
      return Rejected("class", "offered " + m.vendor_id + "/" + m.class_id + ", device is " +
                                   identity_.vendor_id + "/" + identity_.class_id);
    }

    auto expires = ParseRfc3339(m.expires);
    if (!expires) return Rejected("format", "expires: " + expires.error().message());
    const SysTime now = config_.Now();
    if (flaws_.no_expiry_check) {
      // FLAW no-expiry-check: `expires` is ignored.
      Log("flaw no-expiry-check: expires " + m.expires + " not checked");
    } else if (*expires <= now) {
      return Rejected("expired", "expired " + m.expires + ", now " + FormatRfc3339(now));
    }

    if (m.sequence < meta_.counter) {
      if (flaws_.no_rollback_check) {
        // FLAW no-rollback-check: a lower sequence is accepted.
        Log("flaw no-rollback-check: accepting sequence " + std::to_string(m.sequence) +
            " < counter " + std::to_string(meta_.counter));
      } else {
        return Rejected("rollback", "offered sequence " + std::to_string(m.sequence) +
                                        " < counter " + std::to_string(meta_.counter));
      }
    } else if (m.sequence == meta_.counter) {
      if (flaws_.no_replay_check) {
        // FLAW no-replay-check: the installed sequence is installed again.
        Log("flaw no-replay-check: installing sequence " + std::to_string(m.sequence) + " again");
      } else {
        return NoUpdate("replay",
                        "offered sequence " + std::to_string(m.sequence) + " is the installed one");
      }
    }

    if (flaws_.no_size_check) {
      // FLAW no-size-check: image.size is not bounded (see also the download).
    } else if (m.image.size > config_.limits.max_image_bytes) {
      return Rejected("size", "image.size " + std::to_string(m.image.size) + " > max_image_bytes " +
                                  std::to_string(config_.limits.max_image_bytes));
    }

    auto image_location = channel_.ResolveImage(m.image.uri);
    if (!image_location) {
      if (image_location.error().code() == Errc::kParse) {
        return Rejected("format", image_location.error().message());
      }
      return Failed("network", image_location.error().message());
    }

    const std::string manifest_id =
        crypto::HexEncode(crypto::Sha256::Of(crypto::AsBytes(envelope.value().signed_bytes)));
    return Update(m, *image_location, manifest_id, envelope_text);
  }

  // Steps 3 and 4: download, verify the digest, install, switch the boot slot.
  Outcome Update(const manifest::Manifest& m, const std::string& image_location,
                 const std::string& manifest_id, const std::string& envelope_text) {
    std::error_code ec;
    fs::create_directories(dir_.DownloadDir(), ec);
    const Slot running = meta_.boot_slot;
    DownloadJob job;
    job.location = image_location;
    job.size = m.image.size;
    job.manifest_id = manifest_id;
    job.file = dir_.Staging();
    job.enforce_size = true;
    if (flaws_.install_while_streaming) {
      // FLAW install-while-streaming: the image goes straight over the running slot, unverified.
      Log("flaw install-while-streaming: writing over running slot " +
          std::string(SlotName(running)));
      job.file = dir_.SlotImage(running);
    }
    if (flaws_.no_size_check) {
      // FLAW no-size-check: declared lengths (Content-Length, Size2) and image.size do not limit
      // the download.
      Log("flaw no-size-check: reading until the server stops");
      job.enforce_size = false;
    }

    job.min_bytes_per_second = config_.limits.min_bytes_per_second;
    job.rate_window = config_.limits.rate_window;
    if (flaws_.no_timeout) {
      // FLAW no-timeout: no minimum rate and no stall deadline: a trickle is waited for.
      Log("flaw no-timeout: no minimum rate, no stall deadline");
      job.min_bytes_per_second = 0;
      job.stall_deadline = false;
    }

    const DownloadOutcome download = DownloadImage(dir_, job, channel_, cut_);
    switch (download.end) {
      case DownloadEnd::kComplete: break;
      case DownloadEnd::kSize: Discard(); return Rejected("size", download.detail);
      case DownloadEnd::kInterrupted: return Failed("interrupted", download.detail);
      case DownloadEnd::kTimeout: return Failed("timeout", download.detail);
      case DownloadEnd::kTls: return Failed("tls", download.detail);
      case DownloadEnd::kNetwork: return Failed("network", download.detail);
      case DownloadEnd::kStorage: return Failed("storage", download.detail);
    }
    Log("download: " + std::to_string(download.bytes) + " bytes, sha256 " + download.digest);

    if (flaws_.skip_digest) {
      // FLAW skip-digest: the downloaded image is not compared with image.digest.
      Log("flaw skip-digest: image digest not checked");
    } else if (download.digest != m.image.digest) {
      Discard();
      return Rejected("digest", "sha256 " + download.digest + " != image.digest " + m.image.digest);
    }
    // The image is complete and verified: a later attempt must not resume into it.
    ClearProgress(dir_);

    Slot target = OtherSlot(running);
    Status installed;
    if (flaws_.install_while_streaming) {
      target = running;  // already written in place; only its manifest is left
      installed = WriteSlotManifest(target, envelope_text);
    } else if (flaws_.single_slot) {
      // FLAW single-slot: one slot; the staged image is copied over the running one.
      Log("flaw single-slot: copying the image over slot A");
      target = Slot::kA;
      installed = CopyOverSlotA(envelope_text);
    } else {
      installed = InstallIntoSlot(target, envelope_text);
    }
    if (!installed) return Failed("storage", installed.error().message());
    if (cut_.Due(CutStage::kInstall, 0, 0)) {
      cut_.Cut("install: slot " + std::string(SlotName(target)) +
               " written, boot slot not switched");
    }

    if (cut_.Due(CutStage::kCommit, 0, 0)) cut_.Cut("commit: before switching the boot slot");
    // The commit: one atomic write switches the boot slot and raises the counter together.
    Meta next = meta_;
    next.boot_slot = target;
    next.counter = std::max(meta_.counter, m.sequence);
    next.installs = meta_.installs + 1;
    next.last_result = "installed";
    next.last_reason = "none";
    next.self_test = "pending";  // decided on its first boot
    if (auto saved = SaveMeta(dir_, next); !saved) {
      return Failed("storage", "commit: " + saved.error().message());
    }
    meta_ = next;
    return Installed("slot " + std::string(SlotName(target)) + " version " + m.version +
                     " sequence " + std::to_string(m.sequence));
  }

  // A/B: the verified staging file becomes the inactive slot (rename), then its manifest.
  Status InstallIntoSlot(Slot target, const std::string& envelope_text) {
    std::error_code ec;
    fs::remove(dir_.SlotManifest(target), ec);  // the slot is invalid until both files match
    fs::rename(dir_.Staging(), dir_.SlotImage(target), ec);
    if (ec)
      return MakeError(Errc::kIo,
                       "install into slot " + std::string(SlotName(target)) + ": " + ec.message());
    OTASIM_CHECK(SyncDirectory(dir_.SlotsDir()));
    return WriteSlotManifest(target, envelope_text);
  }

  Status CopyOverSlotA(const std::string& envelope_text) {
    OTASIM_TRY(auto out, OutputFile::Open(dir_.SlotImage(Slot::kA), /*truncate=*/false));
    std::error_code ec;
    const std::uint64_t total = fs::file_size(dir_.Staging(), ec);
    if (cut_.Due(CutStage::kInstall, 0, total)) cut_.Cut("install: before copying over slot A");
    OTASIM_CHECK(CopyFileSynced(dir_.Staging(), out, [&](std::uint64_t copied) {
      if (cut_.Due(CutStage::kInstall, copied, total)) {
        (void)out.Sync();
        cut_.Cut("install: " + std::to_string(copied) + " of " + std::to_string(total) +
                 " bytes copied over slot A");
      }
    }));
    OTASIM_CHECK(WriteSlotManifest(Slot::kA, envelope_text));
    fs::remove(dir_.Staging(), ec);
    return {};
  }

  Status WriteSlotManifest(Slot slot, const std::string& envelope_text) {
    OTASIM_CHECK(WriteFileAtomic(dir_.SlotManifest(slot), envelope_text));
    return SyncDirectory(dir_.SlotsDir());
  }

  // A rejected download is dropped (in place, under install-while-streaming, it stays; a
  // response refused on its header never reached the slot).
  void Discard() {
    ClearProgress(dir_);
    std::error_code ec;
    fs::remove(dir_.Staging(), ec);
  }

  void SendStatus(const Outcome& outcome) {
    if (flaws_.no_status_report) {
      // FLAW no-status-report: the server never hears the outcome.
      Log("status: not reported");
      return;
    }
    nlohmann::ordered_json report = {
        {"device_id", identity_.device_id}, {"result", outcome.result}, {"reason", outcome.reason}};
    if (offered_) {
      report["version"] = offered_->version;
      report["sequence"] = offered_->sequence;
    }
    report["code"] = outcome.code;
    auto answer = channel_.SendStatus(report.dump());
    if (!answer) {
      Log("status: not reported: " + answer.error().message());
    } else {
      Log("status: reported " + outcome.result + "/" + outcome.reason + " (" + *answer + ")");
    }
  }

  const StateDir& dir_;
  const DeviceConfig& config_;
  const Flaws& flaws_;
  const PowerCut& cut_;
  Identity identity_;
  Meta meta_;
  TrustStore trust_;
  UpdateChannel& channel_;
  std::optional<manifest::Manifest> offered_;
};

volatile std::sig_atomic_t g_stop = 0;

extern "C" void OnStopSignal(int /*signal*/) { g_stop = 1; }

}  // namespace

int RunCheck(const StateDir& dir, const DeviceConfig& config, const Flaws& flaws,
             const PowerCut& cut) {
  auto identity = LoadIdentity(dir);
  auto meta = LoadMeta(dir);
  auto trust = TrustStore::Load(dir);
  for (const Error* error : {identity ? nullptr : &identity.error(), meta ? nullptr : &meta.error(),
                             trust ? nullptr : &trust.error()}) {
    if (error) {
      Log("check: device not provisioned: " + error->message());
      return kExitError;
    }
  }
  DeviceConfig effective = config;
  if (flaws.no_client_cert) {
    // FLAW no-client-cert: the device never presents its certificate identity.
    Log("flaw no-client-cert: client certificate dropped");
    DropClientIdentity(effective);
  }
  auto channel = OpenChannel(effective, flaws);
  if (!channel) {
    Log("check: config: " + channel.error().message());
    return kExitUsage;
  }
  UpdateCycle cycle(dir, effective, flaws, cut, std::move(*identity), std::move(*meta),
                    std::move(*trust), **channel);
  return cycle.Run();
}

int RunDaemon(const StateDir& dir, const fs::path& config_path, const Flaws& flaws,
              const PowerCut& cut) {
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  auto first = LoadConfig(config_path, ConfigUse::kCheck);
  if (!first) {
    Log(first.error().message());
    return kExitUsage;
  }
  DeviceConfig config = std::move(*first);
  Log("run: polling every " + std::to_string(config.limits.poll_interval.count()) + " ms");
  while (!g_stop) {
    // otasim may rewrite the config between cycles (the clock); a broken rewrite keeps the last.
    if (auto latest = LoadConfig(config_path, ConfigUse::kCheck)) {
      config = std::move(*latest);
    } else {
      Log("run: keeping the previous config: " + latest.error().message());
    }
    const int code = RunCheck(dir, config, flaws, cut);
    Log("run: cycle ended with " + std::to_string(code));
    const auto until = std::chrono::steady_clock::now() + config.limits.poll_interval;
    while (!g_stop && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  Log("run: stopped by signal");
  return kExitOk;
}

}  // namespace otasim::device
