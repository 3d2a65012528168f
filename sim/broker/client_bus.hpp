// A MessageBus over one mqtt::Client, shared by every session of a run: many filters, each
// with its own handler, subscribed and unsubscribed concurrently from several threads.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "client.hpp"
#include "otasim/message_bus.hpp"

namespace otasim::broker {

class ClientBus final : public MessageBus {
 public:
  // Connects now (kTimeout/kNetwork as mqtt::Client::Connect).
  static Result<std::unique_ptr<ClientBus>> Connect(const mqtt::ClientOptions& options);
  // Connects on first use: a Paho client after the first costs ~2 s, so a role that most runs
  // never use (the intruder) should not pay it up front.
  static std::unique_ptr<ClientBus> Lazy(const mqtt::ClientOptions& options);

  ~ClientBus() override;
  ClientBus(const ClientBus&) = delete;
  ClientBus& operator=(const ClientBus&) = delete;

  // kInvalidArgument when `filter` is already subscribed on this bus.
  Status Subscribe(const std::string& filter, BusHandler handler) override;
  // After it returns the handler is never called again, also when called from a handler.
  Status Unsubscribe(const std::string& filter) override;
  Status Publish(const std::string& topic, std::string_view payload,
                 bool retained = false) override;

  // Disconnects for good: later calls fail with kNetwork. Idempotent.
  void Close();
  bool connected() const;

 private:
  struct Subscription {
    BusHandler handler;
    bool active = true;  // guarded by the bus's dispatch_mutex_
  };

  explicit ClientBus(const mqtt::ClientOptions& options) : options_(options) {}
  // The connected client (connecting a lazy bus now). Shared, so that Close() racing a
  // publish on another thread leaves that call a clean error instead of a dangling client.
  Result<std::shared_ptr<mqtt::Client>> Client();
  void Deliver(Subscription& subscription, const mqtt::Message& message);

  mqtt::ClientOptions options_;

  mutable std::mutex client_mutex_;  // guards client_ and closed_
  std::shared_ptr<mqtt::Client> client_;
  bool closed_ = false;

  std::mutex registry_mutex_;  // guards subscriptions_
  std::map<std::string, std::shared_ptr<Subscription>> subscriptions_;

  // Held while a handler runs, so that Unsubscribe can wait for a running one to return.
  std::mutex dispatch_mutex_;
};

}  // namespace otasim::broker
