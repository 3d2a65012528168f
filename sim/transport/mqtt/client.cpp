#include "client.hpp"

#include <mqtt/async_client.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace otasim::mqtt {

bool TopicMatches(std::string_view filter, std::string_view topic) {
  while (true) {
    const std::size_t f_end = filter.find('/');
    const std::size_t t_end = topic.find('/');
    const std::string_view f_level = filter.substr(0, f_end);
    const std::string_view t_level = topic.substr(0, t_end);
    if (f_level == "#") return true;
    if (f_level != "+" && f_level != t_level) return false;
    if (f_end == std::string_view::npos || t_end == std::string_view::npos) {
      // One of them ended; "a/#" also matches "a".
      return f_end == t_end || (t_end == std::string_view::npos && filter.substr(f_end + 1) == "#");
    }
    filter.remove_prefix(f_end + 1);
    topic.remove_prefix(t_end + 1);
  }
}

struct Client::Impl {
  ClientOptions options;
  std::unique_ptr<::mqtt::async_client> paho;

  std::mutex mutex;  // guards everything below
  std::condition_variable wake;
  std::deque<Message> queue;
  std::map<std::string, MessageHandler> handlers;
  bool stopping = false;
  bool connected = false;
  std::string ssl_error;  // the last TLS error Paho reported
  std::thread dispatcher;

  ~Impl() {
    paho.reset();  // no Paho callback runs after this
    StopDispatcher();
  }

  void Dispatch() {
    std::unique_lock lock(mutex);
    while (true) {
      wake.wait(lock, [this] { return stopping || !queue.empty(); });
      if (stopping) return;
      const Message message = std::move(queue.front());
      queue.pop_front();
      std::vector<MessageHandler> matching;
      for (const auto& [filter, handler] : handlers) {
        if (TopicMatches(filter, message.topic)) matching.push_back(handler);
      }
      lock.unlock();
      for (const auto& handler : matching) handler(message);
      lock.lock();
    }
  }

  void StopDispatcher() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    if (dispatcher.joinable()) dispatcher.join();
  }

  // Waits for a Paho token within the deadline, turning its exceptions into errors.
  Status Wait(const ::mqtt::token_ptr& token, const std::string& what) {
    try {
      if (!token->wait_for(options.timeout)) {
        return MakeError(Errc::kTimeout, what + ": no answer within " +
                                             std::to_string(options.timeout.count()) + " ms");
      }
      return {};
    } catch (const ::mqtt::exception& e) {
      return Failure(e, what);
    }
  }

  Error Failure(const ::mqtt::exception& e, const std::string& what) {
    std::string message = what + ": " + e.what();
    const int rc = e.get_return_code();
    if (rc == 0x80) return MakeError(Errc::kProtocol, what + ": refused by the broker");
    if (rc == 4) message += " (refused: bad user name or password)";
    if (rc == 5) message += " (refused: not authorised)";
    std::lock_guard lock(mutex);
    if (!ssl_error.empty()) message += " (TLS: " + ssl_error + ")";
    return MakeError(Errc::kNetwork, message);
  }

  Status CheckConnected(const std::string& what) {
    std::lock_guard lock(mutex);
    if (!connected) return MakeError(Errc::kNetwork, what + ": not connected");
    return {};
  }
};

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Client::~Client() { (void)Disconnect(); }

Result<std::unique_ptr<Client>> Client::Connect(const ClientOptions& options) {
  const bool tls = options.uri.rfind("ssl://", 0) == 0;
  if (!tls && options.uri.rfind("tcp://", 0) != 0) {
    return MakeError(Errc::kInvalidArgument, "MQTT URI must start with tcp:// or ssl://: " + options.uri);
  }
  if (tls && options.ca_file.empty()) {
    return MakeError(Errc::kInvalidArgument, "MQTT over TLS needs a CA file");
  }
  if (options.client_id.empty()) return MakeError(Errc::kInvalidArgument, "MQTT client id is empty");
  const std::string what = "MQTT connect to " + options.uri + " as " + options.client_id;

  auto impl = std::make_unique<Impl>();
  impl->options = options;
  Impl* self = impl.get();
  try {
    impl->paho = std::make_unique<::mqtt::async_client>(options.uri, options.client_id);
    impl->paho->set_message_callback([self](::mqtt::const_message_ptr msg) {
      {
        std::lock_guard lock(self->mutex);
        self->queue.push_back(
            {msg->get_topic(), msg->get_payload_str(), msg->get_qos(), msg->is_retained()});
      }
      self->wake.notify_one();
    });
    impl->paho->set_connection_lost_handler([self](const std::string&) {
      std::lock_guard lock(self->mutex);
      self->connected = false;
    });

    auto builder = ::mqtt::connect_options_builder()
                       .mqtt_version(MQTTVERSION_3_1_1)
                       .clean_session(true)
                       .automatic_reconnect(false)
                       .keep_alive_interval(options.keep_alive)
                       .connect_timeout(std::chrono::ceil<std::chrono::seconds>(options.timeout));
    if (!options.username.empty()) builder.user_name(options.username);
    if (!options.password.empty()) builder.password(options.password);
    if (tls) {
      auto ssl = ::mqtt::ssl_options_builder()
                     .trust_store(options.ca_file.string())
                     .enable_server_cert_auth(options.verify_peer)
                     .verify(options.verify_host)
                     .error_handler([self](const std::string& error) {
                       std::lock_guard lock(self->mutex);
                       self->ssl_error = error;
                     });
      if (!options.cert_file.empty()) {
        ssl.key_store(options.cert_file.string()).private_key(options.key_file.string());
      }
      builder.ssl(ssl.finalize());
    }
    impl->dispatcher = std::thread([self] { self->Dispatch(); });
    OTASIM_CHECK(impl->Wait(impl->paho->connect(builder.finalize()), what));
  } catch (const ::mqtt::exception& e) {
    return impl->Failure(e, what);
  } catch (const std::exception& e) {
    return MakeError(Errc::kNetwork, what + ": " + e.what());
  }
  {
    std::lock_guard lock(impl->mutex);
    impl->connected = true;
  }
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Status Client::Subscribe(const std::string& filter, MessageHandler handler, int qos) {
  const std::string what = "MQTT subscribe to " + filter;
  OTASIM_CHECK(impl_->CheckConnected(what));
  {
    // Registered first: retained messages may arrive before the SUBACK is seen.
    std::lock_guard lock(impl_->mutex);
    impl_->handlers[filter] = std::move(handler);
  }
  Status status;
  try {
    // With MQTT 3.1.1 Paho reports a SUBACK failure (0x80) as a failed token. (Its
    // get_subscribe_response() holds garbage for 3.1.1 in this version: don't read it.)
    status = impl_->Wait(impl_->paho->subscribe(filter, qos), what);
  } catch (const ::mqtt::exception& e) {
    status = impl_->Failure(e, what);
  }
  if (!status.ok()) {
    std::lock_guard lock(impl_->mutex);
    impl_->handlers.erase(filter);
  }
  return status;
}

Status Client::Unsubscribe(const std::string& filter) {
  const std::string what = "MQTT unsubscribe from " + filter;
  OTASIM_CHECK(impl_->CheckConnected(what));
  {
    std::lock_guard lock(impl_->mutex);
    impl_->handlers.erase(filter);
  }
  try {
    return impl_->Wait(impl_->paho->unsubscribe(filter), what);
  } catch (const ::mqtt::exception& e) {
    return impl_->Failure(e, what);
  }
}

Status Client::Publish(const std::string& topic, std::string_view payload, bool retained, int qos) {
  const std::string what = "MQTT publish to " + topic;
  OTASIM_CHECK(impl_->CheckConnected(what));
  try {
    return impl_->Wait(impl_->paho->publish(topic, payload.data(), payload.size(), qos, retained),
                       what);
  } catch (const ::mqtt::exception& e) {
    return impl_->Failure(e, what);
  }
}

Status Client::Disconnect() {
  if (!impl_ || !impl_->paho) return {};
  Status status;
  try {
    if (impl_->paho->is_connected()) {
      status = impl_->Wait(impl_->paho->disconnect(), "MQTT disconnect");
    }
  } catch (const ::mqtt::exception& e) {
    status = impl_->Failure(e, "MQTT disconnect");
  }
  {
    std::lock_guard lock(impl_->mutex);
    impl_->connected = false;
  }
  impl_->StopDispatcher();
  return status;
}

bool Client::connected() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->connected;
}

}  // namespace otasim::mqtt
