// What the on-path attacker plugins share: relay options aimed at the genuine endpoint (with
// the session's log, capture and timeline), and the endpoint block that points the device at
// the relay instead.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "otasim/attacker.hpp"
#include "tcp_relay.hpp"

namespace otasim::proxy {

// The session's proxy log: one file per session, appended by every relay of every step (the
// session copies it into the evidence folder).
std::filesystem::path ProxyLogPath(SessionContext& session);

// Upstream = the genuine endpoint (TLS verified against its CA when it is secure); log, capture
// and a per-connection timeline entry (source "attacker", event "proxy-connection").
RelayOptions RelayTowards(SessionContext& session, const TransportEndpoint& genuine,
                          std::string label);

// The genuine endpoint block with its URL (base_url, base_uri or broker) now naming
// 127.0.0.1:`port`; `scheme`, when not empty, replaces the URL's scheme (e.g. "http").
Result<nlohmann::json> PointAt(const TransportEndpoint& genuine, std::uint16_t port,
                               const std::string& scheme = "");

// The URL's plaintext scheme for a protocol: http, coap, mqtt.
std::string PlainScheme(const std::string& protocol);

}  // namespace otasim::proxy
