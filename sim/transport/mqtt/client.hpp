// An MQTT 3.1.1 client on Eclipse Paho MQTT C++: connect (plain or TLS), subscribe with a
// callback, publish, disconnect. Every operation has a deadline; errors are values (Paho's
// exceptions stop here). No Paho type appears in this header.
//
// Cost: in Paho 1.3.12 every client after the first in one process takes about 2.1 s to
// connect. Keep one client per role and reuse it; never create a client per message.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "otasim/result.hpp"

namespace otasim::mqtt {

struct ClientOptions {
  std::string uri;        // "tcp://127.0.0.1:1883" or "ssl://127.0.0.1:8883"
  std::string client_id;  // unique on the broker (a second client with it takes over)
  std::string username;   // empty: none (certificate identity, or anonymous)
  std::string password;
  std::filesystem::path ca_file;    // ssl: the CA that must have signed the broker's certificate
  std::filesystem::path cert_file;  // ssl, optional: a client certificate (PEM) ...
  std::filesystem::path key_file;   // ... and its key
  bool verify_peer = true;          // ssl: the broker's certificate must chain to ca_file
  bool verify_host = true;          // ssl: the certificate must name the host of `uri`
  std::chrono::milliseconds timeout{10000};  // deadline of every connect, subscribe, publish
  std::chrono::seconds keep_alive{20};
};

struct Message {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retained = false;
};

// Runs on the client's own dispatch thread, one message at a time in arrival order. It may
// call Publish/Subscribe (on any client), but must not disconnect or destroy its own client.
using MessageHandler = std::function<void(const Message&)>;

// Whether a topic matches a subscription filter ('+' one level, '#' the rest).
bool TopicMatches(std::string_view filter, std::string_view topic);

class Client {
 public:
  // kInvalidArgument for unusable options, kTimeout when the broker does not answer in time,
  // kNetwork when the connection or the TLS handshake fails or the broker refuses the
  // credentials (the message says which).
  static Result<std::unique_ptr<Client>> Connect(const ClientOptions& options);

  ~Client();  // Disconnect()
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Waits for the broker's SUBACK; kProtocol when the broker refuses the subscription.
  // Mosquitto 2.0 grants a subscription its ACL forbids and then delivers nothing on it.
  // Every message whose topic matches `filter` goes to `handler` (a message matching several
  // subscribed filters goes to each of their handlers).
  Status Subscribe(const std::string& filter, MessageHandler handler, int qos = 1);
  Status Unsubscribe(const std::string& filter);
  // QoS 1 waits for the broker's PUBACK. A broker that denies the publish by ACL still
  // acknowledges it (MQTT 3.1.1): the message is silently dropped.
  Status Publish(const std::string& topic, std::string_view payload, bool retained = false,
                 int qos = 1);
  // Idempotent; later calls of the other operations fail with kNetwork.
  Status Disconnect();

  bool connected() const;

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace otasim::mqtt
