// Flaw switches: each one disables exactly one defence of the reference device, so that otasim
// can be calibrated against known-bad devices (targets/PROTOCOL.md, "Reference device flaws").
// Every flaw is tested by a single `if (flaws.x)` at the defence it removes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "otasim/result.hpp"

namespace otasim::device {

struct Flaws {
  bool skip_signature = false;
  bool skip_digest = false;
  bool no_size_check = false;
  bool no_rollback_check = false;
  bool no_replay_check = false;
  bool no_expiry_check = false;
  bool no_class_check = false;
  bool install_while_streaming = false;
  bool single_slot = false;
  bool no_status_report = false;
  bool reject_all = false;
  // Transport and identity (issue 5).
  bool trust_any_server_cert = false;
  bool no_hostname_check = false;
  bool plaintext_fallback = false;
  bool no_client_cert = false;
  bool no_timeout = false;
  // Keys and boot (issue 5).
  bool accept_in_band_key = false;
  bool accept_revoked_key = false;
  bool accept_weak_alg = false;
  bool no_self_test_revert = false;
};

// "a,b,c" -> Flaws; an unknown name is kInvalidArgument listing the known ones.
Result<Flaws> ParseFlaws(std::string_view list);
std::vector<std::string> KnownFlaws();
// Comma-separated names of the enabled flaws, "none" when there are none (for the log).
std::string DescribeFlaws(const Flaws& flaws);

}  // namespace otasim::device
