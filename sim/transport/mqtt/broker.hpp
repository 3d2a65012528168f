// A private Mosquitto broker for one run: started on free loopback ports with a generated config
// (a plain and a TLS listener, password authentication, ACLs), stopped by Stop() or the
// destructor, and killed by the kernel if otasim dies first.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "otasim/crypto.hpp"
#include "otasim/result.hpp"

namespace otasim::mqtt {

// Topics of one device, all under "<prefix>/<device>/". The ACL lets a device read its jobs
// and stream topics and write its status and request topics; only server users write jobs and
// stream topics.
struct DeviceTopics {
  std::string jobs;     // "<prefix>/<device>/jobs"    (and below): server -> device
  std::string stream;   // "<prefix>/<device>/stream"  (and below): server -> device
  std::string status;   // "<prefix>/<device>/status"  (and below): device -> server
  std::string request;  // "<prefix>/<device>/request" (and below): device -> server
};
DeviceTopics TopicsFor(const std::string& prefix, const std::string& device);

enum class UserRole {
  kServer,  // reads and writes everything under the prefix
  kDevice,  // the user name is the device id; see DeviceTopics
};

struct BrokerUser {
  std::string name;  // letters, digits, '.', '_', '-'
  std::string password;
  UserRole role = UserRole::kDevice;
};

struct BrokerOptions {
  std::filesystem::path dir;  // private directory for config, certificates, log; created 0700
  std::filesystem::path mosquitto = "/usr/sbin/mosquitto";
  std::string topic_prefix = "otasim";
  std::vector<BrokerUser> users;
  // Issues the TLS listener's certificate (CN and IP SAN 127.0.0.1). Without it there is no
  // TLS listener.
  std::optional<crypto::CertificateAuthority> ca;
  // TLS listener only: clients must present a certificate from `ca`; its CN is their user name
  // (no password asked). Without it TLS clients authenticate with passwords.
  bool require_client_cert = false;
  std::chrono::milliseconds start_timeout{10000};
  // SIGTERM, then SIGKILL after this long (Mosquitto takes 1-2.5 s to exit on SIGTERM).
  std::chrono::milliseconds stop_timeout{5000};
};

class Broker {
 public:
  // Writes the config and starts Mosquitto detached (own session, output to dir/broker.log);
  // returns once both listeners accept TCP connections. If Mosquitto exits early, the error
  // carries the tail of its log. Retries with new ports when a port was taken meanwhile.
  //
  // The broker gets PR_SET_PDEATHSIG(SIGKILL): it dies when the *thread* that started it ends,
  // or the process dies (crash, Ctrl-C, SIGKILL). Start it from a thread that outlives it
  // (the main thread).
  static Result<std::unique_ptr<Broker>> Start(const BrokerOptions& options);

  ~Broker();  // Stop()
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  std::uint16_t plain_port() const noexcept { return plain_port_; }
  std::uint16_t tls_port() const noexcept { return tls_port_; }  // 0: no TLS listener
  std::string PlainUri() const;  // "tcp://127.0.0.1:40123"
  std::string TlsUri() const;    // "ssl://127.0.0.1:40124"
  const std::filesystem::path& ca_file() const noexcept { return ca_file_; }  // clients trust it
  const std::filesystem::path& log_file() const noexcept { return log_file_; }
  const std::string& topic_prefix() const noexcept { return topic_prefix_; }
  pid_t pid() const noexcept { return pid_; }  // 0 once stopped

  // SIGTERM, SIGKILL after stop_timeout, always reaped. Idempotent.
  Status Stop();

 private:
  Broker() = default;
  pid_t pid_ = 0;
  std::uint16_t plain_port_ = 0;
  std::uint16_t tls_port_ = 0;
  std::filesystem::path ca_file_;
  std::filesystem::path log_file_;
  std::string topic_prefix_;
  std::chrono::milliseconds stop_timeout_{5000};
};

}  // namespace otasim::mqtt
