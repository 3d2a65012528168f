#include "cli/remote_options.hpp"

#include <algorithm>

#include "cli/listen_address.hpp"

namespace otasim::cli {

Status ApplyRemoteOptions(const RunOptions& options, const target::TargetProfile& profile,
                          const std::vector<std::string>& protocols, scenario::RunContext& run) {
  const bool remote = profile.adapter == "remote";
  if (remote && options.listen.empty()) {
    return MakeError(Errc::kInvalidArgument,
                     "target '" + profile.name + "' is a device on the network: give --listen "
                     "HOST:PORT, the address of this machine that the device polls");
  }
  if (!remote && (!options.remote_reset.empty() || !options.remote_bundle.empty())) {
    return MakeError(Errc::kInvalidArgument, "--remote-reset and --remote-bundle are for a target "
                                             "with adapter: remote (target '" + profile.name + "' is " +
                                             profile.adapter + ")");
  }
  if (!options.keys_dir.empty()) {
    OTASIM_TRY(scenario::FixedKeys keys, scenario::LoadFixedKeys(options.keys_dir));
    run.fixed_keys = std::make_shared<const scenario::FixedKeys>(std::move(keys));
  }
  if (options.listen.empty()) return {};
  if (std::find(protocols.begin(), protocols.end(), "mqtt") != protocols.end()) {
    return MakeError(Errc::kInvalidArgument,
                     "--listen does not work over MQTT: the broker is one private Mosquitto for "
                     "the whole run, on loopback, not a server that binds to HOST:PORT per "
                     "session; choose --protocol http or coap");
  }
  OTASIM_TRY(ListenAddress address, ParseListenAddress(options.listen));
  if (run.fixed_keys) {
    OTASIM_CHECK(scenario::CheckServerNames(*run.fixed_keys, address.host));
  } else if (address.host != "127.0.0.1") {
    // Fresh session certificates name only 127.0.0.1 and localhost.
    return MakeError(Errc::kInvalidArgument,
                     "--listen " + options.listen + " needs --keys DIR with a server certificate "
                     "naming " + address.host + " (`otasim keys generate --host " + address.host +
                     " --out DIR`), which the device is provisioned with once");
  }
  OTASIM_CHECK(CheckCanListen(address));
  run.listen_host = address.host;
  run.listen_port = address.port;
  run.remote_reset = options.remote_reset;
  if (!options.remote_bundle.empty()) {
    std::error_code ec;
    run.remote_bundle_dir = std::filesystem::absolute(options.remote_bundle, ec);
  }
  return {};
}

}  // namespace otasim::cli
