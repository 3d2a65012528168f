// The run's MQTT broker as the engine sees it: one broker (a private Mosquitto, or an external
// one given by --broker URL) and one connection per role for the whole run, shared by every
// MQTT session. Sessions are isolated by topic root ("otasim/dev-0001-s3") and, on the private
// broker, by per-device users and the broker's ACL.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "otasim/message_bus.hpp"
#include "otasim/result.hpp"

namespace otasim::mqtt {
class Broker;
}

namespace otasim::broker {

class ClientBus;

// A broker otasim does not run: no users or ACL are created; the device and the server both
// use the URL's credentials, and there is no intruder role.
struct ExternalBroker {
  std::string url;               // mqtts://user:pass@host:port (or mqtt:// for plain)
  std::filesystem::path ca_file;  // required for mqtts://: the CA of the broker's certificate
};

struct BrokerServiceOptions {
  std::filesystem::path dir;  // private directory (Mosquitto's config, certificates, log)
  // Every device user name the run will use ("dev-0001-s3"): letters, digits, '.', '_', '-'.
  // Each gets a random password and reaches only <topic_prefix>/<name>/.
  std::vector<std::string> device_users;
  std::string topic_prefix = "otasim";
  std::optional<ExternalBroker> external;  // nullopt: start a private Mosquitto
  std::filesystem::path mosquitto = "/usr/sbin/mosquitto";
  std::chrono::milliseconds timeout{10000};  // connect, subscribe, publish; broker start
};

class BrokerService {
 public:
  // Starts the broker (own mode) and connects the server role; the intruder role connects on
  // its first use. Call from the main thread: Mosquitto dies with the thread that started it.
  static Result<std::unique_ptr<BrokerService>> Start(const BrokerServiceOptions& options);

  ~BrokerService();  // Stop()
  BrokerService(const BrokerService&) = delete;
  BrokerService& operator=(const BrokerService&) = delete;

  // The broker as the session of `device_user` sees it (kNotFound for a user not created at
  // Start on the private broker). `tls` false gives the plain listener's mqtt:// URI (private
  // broker only). The buses stay owned by the service.
  Result<BrokerAccess> ForSession(const std::string& device_user, bool tls = true) const;

  const std::string& ca_pem() const noexcept { return ca_pem_; }  // the device trusts it
  const std::filesystem::path& ca_file() const noexcept { return ca_file_; }
  bool external() const noexcept { return external_; }
  pid_t broker_pid() const noexcept;  // Mosquitto's pid; 0 when external or stopped

  // Disconnects both roles and stops Mosquitto (SIGTERM, then SIGKILL; always reaped).
  // Idempotent. BrokerAccess values handed out stay safe to call: they fail with kNetwork.
  Status Stop();

 private:
  BrokerService() = default;
  Status StartOwn(const BrokerServiceOptions& options);
  Status StartExternal(const BrokerServiceOptions& options);

  bool external_ = false;
  std::string topic_prefix_;
  std::string tls_uri_;    // mqtts://127.0.0.1:PORT
  std::string plain_uri_;  // mqtt://127.0.0.1:PORT ("" when external)
  std::string ca_pem_;
  std::filesystem::path ca_file_;
  std::map<std::string, std::string> device_passwords_;  // own broker: user -> password
  std::string shared_username_;  // external broker: the URL's credentials for every role
  std::string shared_password_;
  std::unique_ptr<mqtt::Broker> broker_;
  std::unique_ptr<ClientBus> server_;
  std::unique_ptr<ClientBus> intruder_;
};

}  // namespace otasim::broker
