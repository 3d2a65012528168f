// The transport role of a step: on-path attackers may stand in front of the genuine endpoint.
// Each active attacker is offered the genuine endpoint (WrapEndpoint); a replacement block is
// written into the device's configuration for this step only. When the step ends (or the
// session is torn down early) every attacker's transport is stopped and the genuine endpoint
// restored.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "otasim/attacker.hpp"
#include "otasim/result.hpp"

namespace otasim::scenario {

// The genuine endpoint behind the device's endpoint block: host and port parsed from
// base_url (http), base_uri (coap) or broker (mqtt); `ca_cert_pem` is the CA its certificate
// chains to.
Result<TransportEndpoint> GenuineEndpoint(const std::string& protocol, const nlohmann::json& block,
                                          std::string ca_cert_pem);

class TransportWrap {
 public:
  // `slot` is the device configuration's endpoint block for the session's protocol: replaced
  // while the step runs, restored afterwards.
  TransportWrap(SessionContext& session, std::vector<Attacker*> attackers, nlohmann::json& slot);
  ~TransportWrap();
  TransportWrap(const TransportWrap&) = delete;
  TransportWrap& operator=(const TransportWrap&) = delete;

  // Offers `genuine` to each attacker in order; at most one may take it. Returns whether the
  // device now points at an attacker.
  Result<bool> Wrap(const TransportEndpoint& genuine);
  // The device has exited: stop every transport (idempotent) and restore the endpoint.
  void Stop() noexcept;

 private:
  SessionContext& session_;
  std::vector<Attacker*> attackers_;
  nlohmann::json& slot_;
  nlohmann::json genuine_block_;
  bool wrapped_ = false;
  bool stopped_ = false;
};

}  // namespace otasim::scenario
