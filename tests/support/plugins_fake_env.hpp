// Test doubles for the plugin tests: a ServerEnvironment that builds real releases (random
// images, manifests signed with a fresh Ed25519 vendor key) in a temporary directory and keeps
// everything the server records, plus a catalogue of the built-in plugin types.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "otasim/plugin.hpp"
#include "support/temp_dir.hpp"

namespace otasim::mqtt {
class Client;
}

namespace otasim::testing {

struct ReleaseSpec {
  std::string name;  // "v2": image file v2.bin, URI images/v2.bin
  std::string version = "1.0.0";
  std::uint64_t sequence = 1;
  std::uint64_t size = 4096;
  std::string class_id = "otasim-class-a";
  std::string expires = "2030-01-01T00:00:00Z";
};

struct FakeEnvOptions {
  bool use_tls = false;
  bool client_ca = false;  // also make a device CA and one device certificate (mutual TLS)
};

// A device certificate issued by the fake environment's client CA.
struct DeviceIdentity {
  std::string cert_pem;
  std::string key_pem;
};

class FakeEnv final : public ServerEnvironment {
 public:
  // Throws std::runtime_error when the crypto set-up fails (test code only).
  explicit FakeEnv(FakeEnvOptions options = {});
  FakeEnv(const FakeEnv&) = delete;
  FakeEnv& operator=(const FakeEnv&) = delete;

  const Release& AddRelease(const ReleaseSpec& spec);
  void Publish(const std::string& name);  // "" publishes nothing
  void SetAttackers(std::vector<Attacker*> attackers);
  // Makes this an MQTT session on the given broker (the caller keeps its buses alive).
  void SetBroker(BrokerAccess access);

  const crypto::PrivateKey& vendor_key() const { return vendor_key_; }
  const DeviceIdentity& device_identity() const { return device_identity_; }
  std::string ImageBytes(const std::string& release) const;

  std::vector<Exchange> exchanges() const;
  std::vector<StatusReport> statuses() const;
  // Timeline entries of one source and event.
  std::vector<nlohmann::json> Events(const std::string& source, const std::string& event) const;

  // SessionContext
  std::string_view protocol() const override { return broker_ ? "mqtt" : "http"; }
  std::string_view device_id() const override { return "dev-0001"; }
  const std::filesystem::path& work_dir() const override { return dir_.path(); }
  Timeline& timeline() override { return timeline_; }
  const Release* FindRelease(std::string_view name) const override;
  const Release* PublishedRelease() const override;
  std::vector<std::string> ServedManifests() const override;
  Result<crypto::PrivateKey> RogueSigningKey() override;
  std::uint64_t Seed(std::string_view component) const override;
  std::string DeviceNow() const override { return "2026-11-28T06:00:00Z"; }
  const BrokerAccess* broker() const override { return broker_ ? &*broker_ : nullptr; }

  // ServerEnvironment
  bool UseTls() const override { return options_.use_tls; }
  const TlsMaterial& tls() const override { return tls_; }
  std::vector<Attacker*> ActiveAttackers() override;
  void RecordExchange(Exchange exchange) override;
  void RecordStatus(StatusReport report) override;
  void RecordServedManifest(const std::string& envelope) override;
  ReleaseFormat* release_format() override { return format_.get(); }
  FormatContext* format_context() override { return format_context_.get(); }

  // Serves single-file releases in `format` (format.swu), signed with code-signing identities
  // that stand for the vendor key and the rogue key.
  void SetReleaseFormat(std::unique_ptr<ReleaseFormat> format);

 private:
  FakeEnvOptions options_;
  std::unique_ptr<ReleaseFormat> format_;
  std::unique_ptr<FormatContext> format_context_;
  TempDir dir_{"otasim-plugins"};  // images and manifests; removed with the environment
  crypto::PrivateKey vendor_key_;
  std::optional<crypto::PrivateKey> rogue_key_;
  TlsMaterial tls_;
  DeviceIdentity device_identity_;
  Timeline timeline_;
  std::optional<BrokerAccess> broker_;  // set before the server starts, then read-only

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Release>, std::less<>> releases_;  // stable addresses
  const Release* published_ = nullptr;
  std::vector<Attacker*> attackers_;
  std::vector<Exchange> exchanges_;
  std::vector<StatusReport> statuses_;
  std::vector<std::string> served_manifests_;
};

// The built-in plugin types, registered once, made the way the engine makes them: raw
// parameters bound against the type's specs, then the factory.
class PluginCatalog {
 public:
  static const PluginCatalog& Get();

  const TypeInfo* Find(const std::string& id) const;
  std::vector<TypeInfo> Types() const;
  Result<Params> Bind(const std::string& id, const std::map<std::string, std::string>& raw) const;
  Result<std::unique_ptr<Attacker>> MakeAttacker(
      const std::string& id, const std::map<std::string, std::string>& raw = {}) const;
  Result<std::unique_ptr<Fault>> MakeFault(
      const std::string& id, const std::map<std::string, std::string>& raw = {}) const;
  Result<std::unique_ptr<UpdateServerModel>> MakeServer(
      const std::string& id, const std::map<std::string, std::string>& raw = {}) const;
  Result<std::unique_ptr<ReleaseFormat>> MakeFormat(
      const std::string& id, const std::map<std::string, std::string>& raw = {}) const;

  struct Entry {
    TypeInfo info;
    AttackerFactory attacker;
    FaultFactory fault;
    ServerFactory server;
    FormatFactory format;
  };

 private:
  PluginCatalog();
  std::map<std::string, Entry> entries_;
};

// The device's side of the MQTT(S) flow of targets/PROTOCOL.md on a real Paho client, for the
// MQTT plugin tests. Connecting costs about 2 s (a Paho client after the first in a process):
// make one per test executable and reuse it.
class MqttFakeDevice {
 public:
  // Connects over TLS with the session's device credentials and subscribes to its jobs/# and
  // stream/#. Throws std::runtime_error on failure (test code only).
  MqttFakeDevice(const BrokerAccess& access, const std::filesystem::path& ca_file);
  ~MqttFakeDevice();
  MqttFakeDevice(const MqttFakeDevice&) = delete;
  MqttFakeDevice& operator=(const MqttFakeDevice&) = delete;

  // Publishes a job request and returns the next job document; nullopt after `deadline`.
  std::optional<nlohmann::json> RequestJob(const std::string& request_id,
                                           std::chrono::milliseconds deadline);
  // The next job document received (a retained one included); nullopt after `deadline`.
  std::optional<nlohmann::json> NextJob(std::chrono::milliseconds deadline);
  // Subscribes to jobs/# again, so that the broker delivers its retained job now.
  void ResubscribeJobs();
  // Publishes a chunk request for [offset, offset + length) of `stream`.
  void RequestChunks(const std::string& stream, std::uint64_t offset, std::uint64_t length);
  // The contiguous bytes from `offset` received so far, once there are `at_least` or
  // `deadline` passed.
  std::string Received(std::uint64_t offset, std::uint64_t at_least,
                       std::chrono::milliseconds deadline);
  // RequestChunks, then Received(offset, length, deadline).
  std::string FetchChunks(const std::string& stream, std::uint64_t offset, std::uint64_t length,
                          std::chrono::milliseconds deadline);
  // Publishes under the topic root ("request/chunks", "status", "jobs/notify").
  Status Publish(const std::string& subtopic, const std::string& payload);
  // Forgets every job and chunk received so far.
  void Clear();
  // Topics of the stream chunks received so far, in arrival order.
  std::vector<std::string> ChunkTopics() const;

 private:
  void OnMessage(const std::string& topic, const std::string& payload);

  std::string root_;
  std::unique_ptr<mqtt::Client> client_;
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<nlohmann::json> jobs_;
  std::map<std::uint64_t, std::string> chunks_;  // image offset -> bytes
  std::vector<std::string> chunk_topics_;
};

// Reads a source to its end (or fails past `max_bytes`).
Result<std::string> Drain(ByteSource& source, std::uint64_t max_bytes = 1ull << 30);

// An image delivery as server.http-poll builds it: the release's file from `offset`.
ImageDelivery MakeImageDelivery(const Release& release, std::uint64_t offset = 0);

}  // namespace otasim::testing
