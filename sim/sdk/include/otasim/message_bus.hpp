// A connection to the run's MQTT broker, as plugins see it. The engine owns the broker and
// the connections (one per role for the whole run: a Paho client takes seconds to connect), so
// a server model or attacker only subscribes and publishes under its session's topic root.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "otasim/result.hpp"

namespace otasim {

struct BusMessage {
  std::string topic;
  std::string payload;
  bool retained = false;
};

// Runs on the connection's dispatch thread, one message at a time; it must not block for long.
using BusHandler = std::function<void(const BusMessage&)>;

class MessageBus {
 public:
  virtual ~MessageBus() = default;
  // Waits for the broker's SUBACK. Every message matching `filter` goes to `handler`.
  virtual Status Subscribe(const std::string& filter, BusHandler handler) = 0;
  // After it returns, `filter`'s handler is never called again.
  virtual Status Unsubscribe(const std::string& filter) = 0;
  // QoS 1: waits for the broker's PUBACK (a publish the ACL denies is acknowledged and dropped).
  virtual Status Publish(const std::string& topic, std::string_view payload,
                         bool retained = false) = 0;
};

// The broker as one session sees it. Topics of the session's device are all under
// `topic_root` ("otasim/dev-0001-s3"): jobs/ and stream/ (server to device), status/ and
// request/ (device to server); the broker's ACL lets only the server role write jobs/ and
// stream/.
struct BrokerAccess {
  std::string uri;         // what the device connects to: "mqtts://127.0.0.1:40125"
  std::string topic_root;  // no trailing '/'
  std::string device_username;  // the device's own broker credentials
  std::string device_password;
  // Connected as the update server: may publish to the device's jobs/ and stream/.
  MessageBus* server = nullptr;
  // Connected with valid broker credentials of another party (an operator account that the
  // ACL also lets write jobs/): what an unauthorised publisher holding a leaked or
  // mis-scoped credential can do. May be null when the broker is not otasim's own.
  MessageBus* intruder = nullptr;
};

}  // namespace otasim
