// Boot-time verification: which slot runs, decided by verifying the images now (the digest of
// each slot file against its stored manifest, and that manifest's signature against the trust
// store), never by trusting what was remembered. The first boot of a newly installed image runs
// its self-test and reverts to the previous slot when it fails. Also the `state` verb.
#pragma once

#include <optional>
#include <string>

#include "device_state.hpp"
#include "flaws.hpp"
#include "otasim/manifest.hpp"
#include "trust_store.hpp"

namespace otasim::device {

struct SlotReport {
  Slot slot = Slot::kA;
  std::optional<manifest::Manifest> manifest;  // as stored, shown even when it does not verify
  std::optional<std::string> digest;           // SHA-256 of the slot file as it is now
  bool valid = false;
  std::string problem;  // why it is not valid
};

// `trust` nullptr: there is no usable root of trust, so no signature verifies.
SlotReport InspectSlot(const StateDir& dir, Slot slot, const TrustStore* trust, const Flaws& flaws);

struct BootChoice {
  SlotReport slots[2];       // A, B
  std::optional<Slot> slot;  // what runs; nullopt: bricked
  bool fell_back = false;    // the boot slot failed and the other one was chosen
  const SlotReport& Report(Slot s) const { return slots[s == Slot::kA ? 0 : 1]; }
};

BootChoice ChooseBoot(const StateDir& dir, const Meta& meta, const TrustStore* trust,
                      const Flaws& flaws);

// The boot self-test of an image (a simulation hook, targets/PROTOCOL.md "Boot and self-test"):
// it fails when the image starts with kSelfTestFailMarker.
inline constexpr std::string_view kSelfTestFailMarker = "OTASIM-SELF-TEST:FAIL\n";
Result<bool> SelfTestPasses(const StateDir& dir, Slot slot);

int RunBoot(const StateDir& dir, const Flaws& flaws);
int RunState(const StateDir& dir, const Flaws& flaws);

}  // namespace otasim::device
