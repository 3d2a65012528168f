#include "scenario/expectations.hpp"

#include <algorithm>

namespace otasim::scenario {

namespace {

std::string Join(const std::vector<std::string>& items, const char* separator = " or ") {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

bool Contains(const std::vector<std::string>& items, const std::string& value) {
  return std::find(items.begin(), items.end(), value) != items.end();
}

std::string StateString(const nlohmann::json& state, const char* key) {
  auto it = state.find(key);
  if (it == state.end()) return "(absent)";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string ReleaseText(const Release& r) {
  return r.name + " (" + r.manifest.version + ", sequence " + std::to_string(r.manifest.sequence) + ")";
}

std::string RunningText(const nlohmann::json& state) {
  const auto running = state.value("running", nlohmann::json::object());
  if (!running.is_object() || running.empty()) return "(nothing running)";
  return running.value("version", std::string("?")) + ", sequence " +
         (running.contains("sequence") ? running["sequence"].dump() : std::string("?"));
}

}  // namespace

std::vector<scoring::CheckResult> EvaluateExpectations(
    const Expectations& expect, const StepObservation& seen,
    const std::map<std::string, Release>& releases) {
  std::vector<scoring::CheckResult> checks;
  auto add = [&](std::string name, std::string expected, std::string observed, std::string channel,
                 bool ok) {
    checks.push_back({std::move(name), std::move(expected), std::move(observed), std::move(channel), ok});
  };

  if (!expect.outcome.empty()) {
    std::vector<std::string> names;
    for (Outcome o : expect.outcome) names.emplace_back(OutcomeName(o));
    const bool ok = std::find(expect.outcome.begin(), expect.outcome.end(), seen.outcome) !=
                    expect.outcome.end();
    add("outcome", Join(names), std::string(OutcomeName(seen.outcome)) + " (" + seen.outcome_detail + ")",
        "verb", ok);
  }
  if (!expect.reason.empty()) {
    const std::string reason = StateString(seen.state_after, "last_reason");
    add("reason", Join(expect.reason), reason, "state", Contains(expect.reason, reason));
  }
  if (expect.running) {
    const Release& r = releases.at(*expect.running);
    const auto running = seen.state_after.value("running", nlohmann::json::object());
    bool ok = running.is_object() && running.value("version", std::string()) == r.manifest.version &&
              running.contains("sequence") && running["sequence"].is_number_unsigned() &&
              running["sequence"].get<std::uint64_t>() == r.manifest.sequence;
    add("running", ReleaseText(r), RunningText(seen.state_after), "state", ok);
  }
  if (expect.bootable) {
    auto it = seen.state_after.find("bootable");
    const bool known = it != seen.state_after.end() && it->is_boolean();
    add("bootable", *expect.bootable ? "true" : "false", known ? (it->get<bool>() ? "true" : "false") : "(absent)",
        "state", known && it->get<bool>() == *expect.bootable);
  }
  if (expect.installs_delta) {
    auto count = [](const nlohmann::json& state) -> std::optional<std::int64_t> {
      auto it = state.find("installs");
      if (it == state.end() || !it->is_number_integer()) return std::nullopt;
      return it->get<std::int64_t>();
    };
    auto before = count(seen.state_before), after = count(seen.state_after);
    const std::string expected = *expect.installs_delta == 0 ? "unchanged" : "+" + std::to_string(*expect.installs_delta);
    if (before && after) {
      const auto delta = *after - *before;
      add("installs", expected, (delta == 0 ? std::string("unchanged") : (delta > 0 ? "+" : "") + std::to_string(delta)) +
          " (" + std::to_string(*before) + " → " + std::to_string(*after) + ")", "state", delta == *expect.installs_delta);
    } else {
      add("installs", expected, "(install count not reported by the device)", "state", false);
    }
  }
  if (expect.status_report) {
    const StatusExpectation& want = *expect.status_report;
    if (want.truthful) {
      const std::string did = std::string(OutcomeName(seen.outcome));
      const std::string reason = StateString(seen.state_after, "last_reason");
      const std::string expected = "a report saying " + did + ", reason " + reason;
      if (seen.reports.empty()) {
        add("status_report", expected, "no status report received", "server", false);
      } else {
        const StatusReport& last = seen.reports.back();
        const bool reason_ok = last.reason == reason || (reason == "none" && last.reason.empty());
        add("status_report", expected,
            last.result + ", reason " + (last.reason.empty() ? "(none)" : last.reason), "server",
            last.result == did && reason_ok);
      }
    } else if (want.none) {
      add("status_report", "none", seen.reports.empty() ? "none" : std::to_string(seen.reports.size()) + " report(s), last " + seen.reports.back().result,
          "server", seen.reports.empty());
    } else {
      std::string expected = Join(want.results);
      if (!want.reasons.empty()) expected += ", reason " + Join(want.reasons);
      if (seen.reports.empty()) {
        add("status_report", expected, "no status report received", "server", false);
      } else {
        const StatusReport& last = seen.reports.back();
        const bool ok = Contains(want.results, last.result) &&
                        (want.reasons.empty() || Contains(want.reasons, last.reason));
        add("status_report", expected, last.result + ", reason " + (last.reason.empty() ? "(none)" : last.reason), "server", ok);
      }
    }
  }
  std::uint64_t image_requests = 0;
  std::uint64_t max_extra = 0;
  bool resumed = false;
  for (const Exchange& e : seen.exchanges) {
    if (e.kind != "image") continue;
    ++image_requests;
    if (e.range_start > 0 && e.status == 206) resumed = true;
    auto it = releases.find(e.release);
    if (it != releases.end()) {
      const std::uint64_t end = e.range_start + e.bytes_sent;
      const std::uint64_t size = it->second.manifest.image.size;
      if (end > size) max_extra = std::max(max_extra, end - size);
    }
  }
  if (expect.image_requests) {
    const CountBound& b = *expect.image_requests;
    std::string expected = b.min && b.max && *b.min == *b.max ? std::to_string(*b.min)
                           : b.min ? ">= " + std::to_string(*b.min) : "<= " + std::to_string(*b.max);
    const bool ok = (!b.min || image_requests >= *b.min) && (!b.max || image_requests <= *b.max);
    add("image_requests", expected, std::to_string(image_requests), "server", ok);
  }
  if (expect.max_extra_bytes_read) {
    add("extra_bytes_read", "<= " + std::to_string(*expect.max_extra_bytes_read) + " bytes beyond the image size",
        std::to_string(max_extra) + " bytes", "server", max_extra <= *expect.max_extra_bytes_read);
  }
  if (expect.resumed) {
    add("resumed", *expect.resumed ? "a ranged image request (206)" : "no ranged request",
        resumed ? "ranged request seen" : "no ranged request", "server", resumed == *expect.resumed);
  }
  if (expect.client_identity_is_device) {
    // IDA-4: the device authenticated itself, with its own credential, on every exchange.
    std::vector<std::string> seen_identities;
    bool ok = !seen.exchanges.empty();
    for (const Exchange& e : seen.exchanges) {
      const std::string identity = e.client_identity.empty() ? "(none)" : e.client_identity;
      if (!Contains(seen_identities, identity)) seen_identities.push_back(identity);
      if (e.client_identity != seen.device_identity) ok = false;
    }
    add("client_identity", "every exchange by " + seen.device_identity,
        seen.exchanges.empty() ? "no exchange" : Join(seen_identities, ", "), "server", ok);
  }
  return checks;
}

}  // namespace otasim::scenario
