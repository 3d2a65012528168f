#include "flaws.hpp"

#include <utility>

namespace otasim::device {
namespace {

// The single table that maps names to switches.
const std::vector<std::pair<std::string_view, bool Flaws::*>>& Table() {
  static const std::vector<std::pair<std::string_view, bool Flaws::*>> table = {
      {"skip-signature", &Flaws::skip_signature},
      {"skip-digest", &Flaws::skip_digest},
      {"no-size-check", &Flaws::no_size_check},
      {"no-rollback-check", &Flaws::no_rollback_check},
      {"no-replay-check", &Flaws::no_replay_check},
      {"no-expiry-check", &Flaws::no_expiry_check},
      {"no-class-check", &Flaws::no_class_check},
      {"install-while-streaming", &Flaws::install_while_streaming},
      {"single-slot", &Flaws::single_slot},
      {"no-status-report", &Flaws::no_status_report},
      {"reject-all", &Flaws::reject_all},
      {"trust-any-server-cert", &Flaws::trust_any_server_cert},
      {"no-hostname-check", &Flaws::no_hostname_check},
      {"plaintext-fallback", &Flaws::plaintext_fallback},
      {"no-client-cert", &Flaws::no_client_cert},
      {"no-timeout", &Flaws::no_timeout},
      {"accept-in-band-key", &Flaws::accept_in_band_key},
      {"accept-revoked-key", &Flaws::accept_revoked_key},
      {"accept-weak-alg", &Flaws::accept_weak_alg},
      {"no-self-test-revert", &Flaws::no_self_test_revert},
  };
  return table;
}

std::string JoinKnown() {
  std::string out;
  for (const auto& [name, member] : Table()) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

}  // namespace

std::vector<std::string> KnownFlaws() {
  std::vector<std::string> names;
  for (const auto& [name, member] : Table()) names.emplace_back(name);
  return names;
}

Result<Flaws> ParseFlaws(std::string_view list) {
  Flaws flaws;
  while (!list.empty()) {
    const auto comma = list.find(',');
    const std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (item.empty()) continue;
    bool found = false;
    for (const auto& [name, member] : Table()) {
      if (name == item) {
        flaws.*member = true;
        found = true;
      }
    }
    if (!found) {
      return MakeError(Errc::kInvalidArgument,
                       "unknown flaw '" + std::string(item) + "'; known flaws: " + JoinKnown());
    }
  }
  return flaws;
}

std::string DescribeFlaws(const Flaws& flaws) {
  std::string out;
  for (const auto& [name, member] : Table()) {
    if (!(flaws.*member)) continue;
    if (!out.empty()) out += ",";
    out += name;
  }
  return out.empty() ? "none" : out;
}

}  // namespace otasim::device
