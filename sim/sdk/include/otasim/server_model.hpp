// A server model plays the honest update service over one protocol. It asks its environment
// what to serve (the published release, the attackers of the step) and records everything the
// device asked and reported.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "otasim/attacker.hpp"
#include "otasim/release_format.hpp"
#include "otasim/result.hpp"
#include "otasim/session.hpp"

namespace otasim {

// TLS material of the session, PEM text.
struct TlsMaterial {
  std::string ca_cert;       // the per-run CA the device trusts
  std::string server_cert;   // leaf for 127.0.0.1 / localhost, issued by the CA
  std::string server_key;
  std::string client_ca;     // CA that issued device identities (for mutual TLS)
  // DTLS pre-shared key of the device (CoAPS with security psk): identity and raw key bytes.
  std::string psk_identity;
  std::string psk_key;
};

class ServerEnvironment : public SessionContext {
 public:
  virtual bool UseTls() const = 0;
  virtual const TlsMaterial& tls() const = 0;
  // The attackers active in the current step, in scenario order.
  virtual std::vector<Attacker*> ActiveAttackers() = 0;
  // Once per request, when its response has ended (for a streamed image: from on_body_end,
  // with the bytes actually sent), so that a request is never counted twice.
  virtual void RecordExchange(Exchange exchange) = 0;
  virtual void RecordStatus(StatusReport report) = 0;
  virtual void RecordServedManifest(const std::string& envelope) = 0;
  // ABI 3.1: the release format of the device under test (its profile's `release_format`) and
  // the signing identities to render it with; nullptr for the native manifest + image pair.
  virtual ReleaseFormat* release_format() { return nullptr; }
  virtual FormatContext* format_context() { return nullptr; }
  // ABI 3.1: where the server listens. The defaults are a free loopback port; `otasim run
  // --listen HOST:PORT` (a device on the network) gives a fixed address, which the endpoint
  // URLs the server returns must then name.
  virtual std::string bind_host() const { return "127.0.0.1"; }
  virtual std::uint16_t bind_port() const { return 0; }
};

class UpdateServerModel {
 public:
  virtual ~UpdateServerModel() = default;
  // Starts serving; returns the endpoint block of the device configuration for this protocol,
  // e.g. {"base_url": "https://127.0.0.1:40123/dev-0001"}.
  virtual Result<nlohmann::json> Start(ServerEnvironment& env) = 0;
  // Waits until every response in flight has ended and been recorded (the device has exited,
  // so its connections are closing), or `timeout` passes (kTimeout). The session calls it
  // after each step so that the step's records are complete before they are judged.
  virtual Status WaitIdle(std::chrono::milliseconds timeout) = 0;
  virtual void Stop() noexcept = 0;
};

}  // namespace otasim
