// What every session of a run shares, read-only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include "otasim/message_bus.hpp"
#include "otasim/params.hpp"
#include "otasim/result.hpp"
#include "plugin_host/registry.hpp"
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
};

// The broker user name of the device of the session with this tag ("dev-0001-s3").
std::string BrokerUserFor(const std::string& session_tag);

}  // namespace otasim::scenario
