#include "client_bus.hpp"

#include <utility>

namespace otasim::broker {
namespace {

// The bus whose handler this thread is running, if any: Unsubscribe from inside a handler
// must not wait for that same handler to return.
thread_local const ClientBus* dispatching_bus = nullptr;

}  // namespace

Result<std::unique_ptr<ClientBus>> ClientBus::Connect(const mqtt::ClientOptions& options) {
  std::unique_ptr<ClientBus> bus(new ClientBus(options));
  OTASIM_CHECK(bus->Client());
  return bus;
}

std::unique_ptr<ClientBus> ClientBus::Lazy(const mqtt::ClientOptions& options) {
  return std::unique_ptr<ClientBus>(new ClientBus(options));
}

ClientBus::~ClientBus() { Close(); }

Result<std::shared_ptr<mqtt::Client>> ClientBus::Client() {
  std::lock_guard lock(client_mutex_);
  if (closed_) return MakeError(Errc::kNetwork, "MQTT bus " + options_.client_id + " is closed");
  if (!client_) {
    OTASIM_TRY(std::unique_ptr<mqtt::Client> client, mqtt::Client::Connect(options_));
    client_ = std::move(client);
  }
  return client_;
}

void ClientBus::Close() {
  std::shared_ptr<mqtt::Client> client;
  {
    std::lock_guard lock(client_mutex_);
    closed_ = true;
    client = std::move(client_);
  }
  if (client) (void)client->Disconnect();  // joins its dispatcher: no handler runs afterwards
}

bool ClientBus::connected() const {
  std::lock_guard lock(client_mutex_);
  return client_ && client_->connected();
}

void ClientBus::Deliver(Subscription& subscription, const mqtt::Message& message) {
  std::lock_guard lock(dispatch_mutex_);
  if (!subscription.active) return;
  const BusMessage bus_message{message.topic, message.payload, message.retained};
  dispatching_bus = this;
  try {
    subscription.handler(bus_message);
  } catch (...) {  // a handler must not take the shared connection's dispatcher down
  }
  dispatching_bus = nullptr;
}

Status ClientBus::Subscribe(const std::string& filter, BusHandler handler) {
  if (filter.empty()) return MakeError(Errc::kInvalidArgument, "MQTT bus: empty filter");
  OTASIM_TRY(std::shared_ptr<mqtt::Client> client, Client());
  auto subscription = std::make_shared<Subscription>();
  subscription->handler = std::move(handler);
  {
    std::lock_guard lock(registry_mutex_);
    if (!subscriptions_.emplace(filter, subscription).second) {
      return MakeError(Errc::kInvalidArgument, "MQTT bus: " + filter + " is already subscribed");
    }
  }
  Status status = client->Subscribe(filter, [this, subscription](const mqtt::Message& message) {
    Deliver(*subscription, message);
  });
  if (!status) {
    std::lock_guard lock(registry_mutex_);
    subscriptions_.erase(filter);
  }
  return status;
}

Status ClientBus::Unsubscribe(const std::string& filter) {
  std::shared_ptr<Subscription> subscription;
  {
    std::lock_guard lock(registry_mutex_);
    auto it = subscriptions_.find(filter);
    if (it == subscriptions_.end()) {
      return MakeError(Errc::kNotFound, "MQTT bus: " + filter + " is not subscribed");
    }
    subscription = std::move(it->second);
    subscriptions_.erase(it);
  }
  // Deactivate first: whatever the broker still delivers is dropped from now on.
  if (dispatching_bus == this) {
    subscription->active = false;  // this thread holds dispatch_mutex_ already
  } else {
    std::lock_guard lock(dispatch_mutex_);
    subscription->active = false;
  }
  auto client = Client();
  if (!client) return {};  // closed: nothing is delivered any more anyway
  return (*client)->Unsubscribe(filter);
}

Status ClientBus::Publish(const std::string& topic, std::string_view payload, bool retained) {
  OTASIM_TRY(std::shared_ptr<mqtt::Client> client, Client());
  return client->Publish(topic, payload, retained);
}

}  // namespace otasim::broker
