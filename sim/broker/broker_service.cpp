#include "broker_service.hpp"

#include <openssl/rand.h>

#include <array>
#include <utility>

#include "broker.hpp"
#include "broker_url.hpp"
#include "client_bus.hpp"
#include "otasim/crypto.hpp"
#include "otasim/files.hpp"

namespace otasim::broker {
namespace {

constexpr const char* kServerUser = "otasim-server";
// An operator account the ACL also lets write every device's jobs/: the intruder's credential.
constexpr const char* kIntruderUser = "otasim-operator";

Result<std::string> RandomHex(std::size_t bytes) {
  std::vector<std::uint8_t> buffer(bytes);
  if (RAND_bytes(buffer.data(), static_cast<int>(buffer.size())) != 1) {
    return MakeError(Errc::kCrypto, "RAND_bytes failed");
  }
  return crypto::HexEncode(buffer);
}

// Client ids must be unique on the broker (a second connect with an id takes over the first),
// also when several runs share an external broker.
Result<std::string> ClientId(const std::string& role) {
  OTASIM_TRY(std::string suffix, RandomHex(6));
  return "otasim-" + role + "-" + suffix;
}

}  // namespace

Result<std::unique_ptr<BrokerService>> BrokerService::Start(const BrokerServiceOptions& options) {
  std::unique_ptr<BrokerService> service(new BrokerService());
  service->topic_prefix_ = options.topic_prefix;
  Status started = options.external ? service->StartExternal(options) : service->StartOwn(options);
  if (!started) {
    (void)service->Stop();
    return started.error().WithContext("MQTT broker");
  }
  return service;
}

Status BrokerService::StartOwn(const BrokerServiceOptions& options) {
  mqtt::BrokerOptions broker_options;
  broker_options.dir = options.dir;
  broker_options.mosquitto = options.mosquitto;
  broker_options.topic_prefix = options.topic_prefix;
  broker_options.start_timeout = options.timeout;
  OTASIM_TRY(std::string server_password, RandomHex(16));
  OTASIM_TRY(std::string intruder_password, RandomHex(16));
  broker_options.users.push_back({kServerUser, server_password, mqtt::UserRole::kServer});
  broker_options.users.push_back({kIntruderUser, intruder_password, mqtt::UserRole::kServer});
  for (const std::string& name : options.device_users) {
    if (name == kServerUser || name == kIntruderUser || device_passwords_.count(name) != 0) {
      return MakeError(Errc::kInvalidArgument, "device user name '" + name + "' is reserved or repeated");
    }
    OTASIM_TRY(std::string password, RandomHex(16));
    device_passwords_[name] = password;
    broker_options.users.push_back({name, std::move(password), mqtt::UserRole::kDevice});
  }
  OTASIM_TRY(broker_options.ca, crypto::CertificateAuthority::Create("otasim MQTT broker CA"));
  ca_pem_ = broker_options.ca->cert_pem();

  OTASIM_TRY(broker_, mqtt::Broker::Start(broker_options));
  ca_file_ = broker_->ca_file();
  tls_uri_ = "mqtts://127.0.0.1:" + std::to_string(broker_->tls_port());
  plain_uri_ = "mqtt://127.0.0.1:" + std::to_string(broker_->plain_port());

  // The engine's own connections use the plain loopback listener: Paho 1.3 does not set
  // TCP_NODELAY, so over TLS every message longer than one TLS record (16 KiB) waits for the
  // broker's delayed ACK, ~44 ms per image chunk. The device's side stays TLS.
  mqtt::ClientOptions server;
  server.uri = broker_->PlainUri();
  OTASIM_TRY(server.client_id, ClientId("server"));
  server.username = kServerUser;
  server.password = server_password;
  server.timeout = options.timeout;
  OTASIM_TRY(server_, ClientBus::Connect(server));

  mqtt::ClientOptions intruder = server;
  OTASIM_TRY(intruder.client_id, ClientId("operator"));
  intruder.username = kIntruderUser;
  intruder.password = intruder_password;
  intruder_ = ClientBus::Lazy(intruder);
  return {};
}

Status BrokerService::StartExternal(const BrokerServiceOptions& options) {
  external_ = true;
  OTASIM_TRY(const BrokerUrl url, ParseBrokerUrl(options.external->url));
  if (url.tls) {
    if (options.external->ca_file.empty()) {
      return MakeError(Errc::kInvalidArgument, "an mqtts:// broker needs a CA file");
    }
    OTASIM_TRY(ca_pem_, ReadFile(options.external->ca_file, 1 << 20));
    ca_file_ = options.external->ca_file;
  }
  tls_uri_ = url.DeviceUri();
  shared_username_ = url.username;
  shared_password_ = url.password;

  mqtt::ClientOptions server;
  server.uri = url.PahoUri();
  OTASIM_TRY(server.client_id, ClientId("server"));
  server.username = url.username;
  server.password = url.password;
  server.ca_file = ca_file_;
  server.timeout = options.timeout;
  OTASIM_TRY(server_, ClientBus::Connect(server));
  return {};
}

BrokerService::~BrokerService() { (void)Stop(); }

Result<BrokerAccess> BrokerService::ForSession(const std::string& device_user, bool tls) const {
  BrokerAccess access;
  access.topic_root = topic_prefix_ + "/" + device_user;
  access.server = server_.get();
  access.intruder = intruder_.get();
  if (external_) {
    if (!tls) return MakeError(Errc::kUnsupported, "an external broker has one URL only");
    if (device_user.empty() || device_user.find_first_of("/+#") != std::string::npos) {
      return MakeError(Errc::kInvalidArgument, "bad device user name '" + device_user + "'");
    }
    access.uri = tls_uri_;
    access.device_username = shared_username_;
    access.device_password = shared_password_;
    return access;
  }
  auto it = device_passwords_.find(device_user);
  if (it == device_passwords_.end()) {
    return MakeError(Errc::kNotFound, "no broker user '" + device_user + "' was created");
  }
  access.uri = tls ? tls_uri_ : plain_uri_;
  access.device_username = device_user;
  access.device_password = it->second;
  return access;
}

pid_t BrokerService::broker_pid() const noexcept { return broker_ ? broker_->pid() : 0; }

Status BrokerService::Stop() {
  // The buses stay allocated (sessions may still hold pointers to them); closed, they refuse.
  if (intruder_) intruder_->Close();
  if (server_) server_->Close();
  if (broker_) return broker_->Stop();
  return {};
}

}  // namespace otasim::broker
