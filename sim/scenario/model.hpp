// Scenarios and suites as loaded from YAML (DESIGN §9). Plain data; the loader has checked it.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace otasim::scenario {

inline constexpr const char* kProtocols[] = {"http", "coap", "mqtt"};

// The server model that plays the update service over each protocol ("" for an unknown one).
std::string ServerModelFor(std::string_view protocol);

// A release the session builds and signs: image of `size` pseudo-random bytes plus manifest.
struct ReleaseSpec {
  std::string name;
  std::string version;
  std::uint64_t sequence = 0;
  std::uint64_t size = 256 * 1024;
  std::string class_id;   // empty: the device's class
  std::string vendor_id;  // empty: the device's vendor
  std::string issued = "-1h";   // offset from the session's start time
  std::string expires = "+30d";
  std::string signer = "vendor";  // "vendor", "rogue", or another vendor key ("vendor-2")
  std::vector<std::string> root_updates;  // roots (names in ScenarioSpec::roots) the envelope carries
  bool self_test_fails = false;  // the image carries the marker that fails the boot self-test
};

// A root document the session signs (DESIGN §5): version 1 is the one the device is provisioned
// with under `trust: root` (key `vendor`); later versions rotate keys. A key left out is revoked.
struct RootSpec {
  std::string name;
  std::uint64_t version = 2;
  std::vector<std::string> keys;     // key names: "vendor", "vendor-2", ..., "rogue"
  std::uint64_t threshold = 1;
  std::vector<std::string> signers;  // empty: the previous version's keys and its own keys
  std::string expires = "+365d";     // offset from the session's start
};

struct AttackSpec {
  std::string id;  // plugin type id: "attack.tamper", "fault.power-loss"
  std::map<std::string, std::string> params;
  int line = 0;
};

enum class Action { kCheck, kBoot, kNone };

// What a step's action came to, as the harness classifies it.
enum class Outcome { kInstalled, kNoUpdate, kRejected, kFailed, kPowerLost, kBooted, kBricked, kError };
std::string_view OutcomeName(Outcome outcome) noexcept;
std::optional<Outcome> ParseOutcome(std::string_view name);

struct CountBound {
  std::optional<std::uint64_t> min;
  std::optional<std::uint64_t> max;
};

struct StatusExpectation {
  bool none = false;  // no status report may arrive in this step
  // The last report must say what the device did: its result matches the verb's outcome and
  // its reason matches the device's own last_reason.
  bool truthful = false;
  std::vector<std::string> results;  // any of these
  std::vector<std::string> reasons;  // any of these (empty: any)
};

struct Expectations {
  std::vector<Outcome> outcome;              // any of these
  std::vector<std::string> reason;           // device state's last_reason, any of these
  std::optional<std::string> running;        // release name
  std::optional<bool> bootable;
  std::optional<std::int64_t> installs_delta;  // change of the device's install count
  std::optional<StatusExpectation> status_report;
  std::optional<CountBound> image_requests;
  std::optional<std::uint64_t> max_extra_bytes_read;  // beyond the image size, server-side
  std::optional<bool> resumed;               // an image request started past byte 0
  bool client_identity_is_device = false;    // every exchange carried the device's own identity
  bool empty() const;
};

struct StepSpec {
  std::string name;
  bool control = false;
  std::optional<std::string> serve;  // release name the honest server publishes
  std::vector<AttackSpec> attacks;
  std::string clock = "0";           // device clock offset from the session start
  Action action = Action::kCheck;
  std::chrono::milliseconds timeout{60000};
  Expectations expect;
  int line = 0;
};

struct ScenarioSpec {
  std::string id;
  std::string title;
  std::string summary;
  std::vector<std::string> requirements;
  std::vector<std::string> protocols;  // empty: any protocol
  // Parameters of the server model per protocol ("coap" -> {"security": "psk"}).
  std::map<std::string, std::map<std::string, std::string>> server_params;
  std::map<std::string, ReleaseSpec> releases;
  // The device's root of trust: "keys" (the vendor's public key) or "root" (a signed root
  // document v1 listing the vendor key), which `roots` can then rotate.
  std::string trust = "keys";
  std::map<std::string, RootSpec> roots;
  std::string initial_release;
  std::vector<StepSpec> steps;
  std::filesystem::path file;
  std::string sha256;  // of the file, for reproducibility

  bool AppliesTo(const std::string& protocol) const;
  std::string Threat() const;  // the folder part of the id: "rollback/signed-older" → "rollback"
};

struct SuiteSpec {
  std::string name;
  std::string title;
  std::string grading = "default";      // grading profile name
  std::vector<std::string> scenarios;   // ids or glob patterns ("tamper/*")
  std::filesystem::path file;
  std::string sha256;
};

}  // namespace otasim::scenario
