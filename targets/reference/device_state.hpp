// The device's persistent storage (the contract's state DIR). Layout:
//
//   device.json            identity: device_id, vendor_id, class_id (written at provision)
//   trust/anchor-N.pem     the trust anchors (public keys): the device's root of trust, or
//   trust/root-V.json      signed root documents, every version applied so far (trust_store.hpp)
//   slots/A.img, B.img     the two firmware slots
//   slots/A.manifest.json  the signed manifest envelope each slot was installed from
//   meta.json              boot slot, anti-rollback counter, installs, last result and reason,
//                          self-test state of the boot slot's image
//   download/image.part    a staged or partial download
//   download/progress.json which manifest (SHA-256 of its signed bytes) and how many bytes of it
//                          are synced to which file: what a resume may trust
//
// meta.json and progress.json are replaced atomically (write to a temporary file, rename).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "otasim/crypto.hpp"
#include "otasim/result.hpp"

namespace otasim::device {

enum class Slot { kA, kB };

std::string_view SlotName(Slot slot) noexcept;
Slot OtherSlot(Slot slot) noexcept;

class StateDir {
 public:
  explicit StateDir(std::filesystem::path root) : root_(std::move(root)) {}

  const std::filesystem::path& root() const noexcept { return root_; }
  std::filesystem::path Identity() const { return root_ / "device.json"; }
  std::filesystem::path TrustDir() const { return root_ / "trust"; }
  std::filesystem::path SlotsDir() const { return root_ / "slots"; }
  std::filesystem::path SlotImage(Slot slot) const;
  std::filesystem::path SlotManifest(Slot slot) const;
  std::filesystem::path Meta() const { return root_ / "meta.json"; }
  std::filesystem::path DownloadDir() const { return root_ / "download"; }
  std::filesystem::path Staging() const { return DownloadDir() / "image.part"; }
  std::filesystem::path Progress() const { return DownloadDir() / "progress.json"; }

 private:
  std::filesystem::path root_;
};

struct Identity {
  std::string device_id;
  std::string vendor_id;
  std::string class_id;
};

struct Meta {
  Slot boot_slot = Slot::kA;
  std::uint64_t counter = 0;   // anti-rollback: the highest installed sequence
  std::uint64_t installs = 0;  // updates installed since provisioning
  std::string last_result = "none";
  std::string last_reason = "none";
  // The boot self-test of the boot slot's image: "none" (the factory image, or an older state
  // file), "pending" (installed, not yet booted), "passed", "failed" (it runs anyway: only the
  // flaw no-self-test-revert keeps it) or "reverted" (it failed and the previous slot runs).
  std::string self_test = "none";
};

// A download that can be resumed: `bytes` of the image of manifest `manifest_sha256` are synced
// to `file` (relative to the state dir).
struct Progress {
  std::string manifest_sha256;
  std::uint64_t bytes = 0;
  std::string file;
};

Result<Identity> LoadIdentity(const StateDir& dir);
Status SaveIdentity(const StateDir& dir, const Identity& identity);

Result<Meta> LoadMeta(const StateDir& dir);
Status SaveMeta(const StateDir& dir, const Meta& meta);

// nullopt when there is no usable record (absent or unreadable: start over).
std::optional<Progress> LoadProgress(const StateDir& dir);
Status SaveProgress(const StateDir& dir, const Progress& progress);
void ClearProgress(const StateDir& dir);

}  // namespace otasim::device
