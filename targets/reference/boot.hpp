// Boot-time verification: which slot runs, decided by verifying the images now (the digest of
// each slot file against its stored manifest, and that manifest's signature against the trust
// anchors), never by trusting what was remembered. Also the `state` verb, which reports it.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "device_state.hpp"
#include "flaws.hpp"
#include "otasim/crypto.hpp"
#include "otasim/manifest.hpp"

namespace otasim::device {

struct SlotReport {
  Slot slot = Slot::kA;
  std::optional<manifest::Manifest> manifest;  // as stored, shown even when it does not verify
  std::optional<std::string> digest;           // SHA-256 of the slot file as it is now
  bool valid = false;
  std::string problem;  // why it is not valid
};

SlotReport InspectSlot(const StateDir& dir, Slot slot,
                       std::span<const crypto::PublicKey> trust_anchors, const Flaws& flaws);

struct BootChoice {
  SlotReport slots[2];       // A, B
  std::optional<Slot> slot;  // what runs; nullopt: bricked
  bool fell_back = false;    // the boot slot failed and the other one was chosen
  const SlotReport& Report(Slot s) const { return slots[s == Slot::kA ? 0 : 1]; }
};

BootChoice ChooseBoot(const StateDir& dir, const Meta& meta,
                      std::span<const crypto::PublicKey> trust_anchors, const Flaws& flaws);

int RunBoot(const StateDir& dir, const Flaws& flaws);
int RunState(const StateDir& dir, const Flaws& flaws);

}  // namespace otasim::device
