// What every session of a run shares, read-only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "otasim/message_bus.hpp"
#include "otasim/params.hpp"
#include "otasim/result.hpp"
#include "plugin_host/registry.hpp"
#include "scenario/fixed_keys.hpp"
#include "target/profile.hpp"

namespace otasim::scenario {

struct RunContext {
  const plugin_host::Registry* registry = nullptr;
  const target::TargetProfile* profile = nullptr;
  std::map<std::string, std::string> target_values;  // template values for the profile
  std::filesystem::path out_dir;    // report and evidence root
  std::filesystem::path work_root;  // sessions' private directories (removed afterwards)
  std::uint64_t seed = 1;
  bool keep_work = false;
  // MQTT: the run's broker as the session whose device has this broker user name sees it.
  // Unset when no session runs over MQTT.
  std::function<Result<BrokerAccess>(const std::string& device_user)> broker_for;
  std::string broker_ca_pem;  // the CA of the broker's certificate, for the device's trust
  // A device on the network (`otasim run --listen HOST:PORT`; targets/PROTOCOL.md, "Remote
  // devices"): every session's server binds there. Empty: a free loopback port per session.
  std::string listen_host;
  std::uint16_t listen_port = 0;
  // --keys DIR: the vendor key and TLS certificates of every session, instead of fresh ones.
  std::shared_ptr<const FixedKeys> fixed_keys;
  std::string remote_reset;                 // --remote-reset: a shell command (template)
  std::filesystem::path remote_bundle_dir;  // the provisioning bundle of the remote device
};

// The broker user name of the device of the session with this tag ("dev-0001-s3").
std::string BrokerUserFor(const std::string& session_tag);

}  // namespace otasim::scenario
