#include "plugins_fake_env.hpp"

#include <functional>
#include <random>
#include <stdexcept>
#include <utility>

#include "client.hpp"
#include "crypto/cms.hpp"
#include "otasim/files.hpp"
#include "otasim/manifest.hpp"
#include "plugin_host/builtin_plugins.hpp"

namespace otasim::testing {
namespace {

template <class T>
T OrThrow(Result<T> result, const std::string& what) {
  if (!result) throw std::runtime_error(what + ": " + result.error().What());
  return std::move(result).value();
}

crypto::PrivateKey NewEd25519Key() {
  return OrThrow(crypto::PrivateKey::Generate(crypto::KeyAlg::kEd25519), "generating a key");
}

// Code-signing identities for "vendor" and "rogue", made once; an envelope's signer is the one
// of the two manifest keys that verifies it.
class FakeFormatContext final : public FormatContext {
 public:
  explicit FakeFormatContext(FakeEnv& env) : env_(env) {}

  Result<SigningIdentity> SignerOf(const std::string& envelope) override {
    auto parsed = manifest::ParseEnvelope(envelope);
    if (!parsed.ok()) return MakeError(Errc::kSignature, "envelope does not parse");
    const crypto::PublicKey vendor[] = {env_.vendor_key().Public()};
    if (manifest::Verify(parsed.value(), vendor).ok()) return Identity("vendor");
    OTASIM_TRY(crypto::PrivateKey rogue_key, env_.RogueSigningKey());
    const crypto::PublicKey rogue[] = {rogue_key.Public()};
    if (manifest::Verify(parsed.value(), rogue).ok()) return Identity("rogue");
    return MakeError(Errc::kSignature, "signed by no key of the session");
  }

  Result<SigningIdentity> Identity(std::string_view key_name) override {
    std::lock_guard lock(mutex_);
    auto it = identities_.find(std::string(key_name));
    if (it != identities_.end()) return it->second;
    OTASIM_TRY(crypto::IssuedCert made, crypto::MakeCodeSigningIdentity("test " + std::string(key_name)));
    SigningIdentity identity{std::string(key_name), made.cert_pem, made.key_pem};
    identities_.emplace(identity.name, identity);
    return identity;
  }

  Result<std::string> PublicKeyPem(std::string_view key_name) override {
    if (key_name != "vendor") return MakeError(Errc::kNotFound, "no key " + std::string(key_name));
    return env_.vendor_key().Public().ToPem();
  }

 private:
  FakeEnv& env_;
  std::mutex mutex_;
  std::map<std::string, SigningIdentity> identities_;
};

}  // namespace

void FakeEnv::SetReleaseFormat(std::unique_ptr<ReleaseFormat> format) {
  format_ = std::move(format);
  format_context_ = std::make_unique<FakeFormatContext>(*this);
}

FakeEnv::FakeEnv(FakeEnvOptions options)
    : options_(options), vendor_key_(NewEd25519Key()) {
  timeline_.Start();
  if (options_.use_tls) {
    auto ca = OrThrow(crypto::CertificateAuthority::Create("otasim test CA"), "making a CA");
    crypto::CertRequest server{.common_name = "otasim test server",
                               .dns_names = {"localhost"},
                               .ip_addresses = {"127.0.0.1"}};
    auto leaf = OrThrow(ca.Issue(server), "issuing the server certificate");
    tls_.ca_cert = ca.cert_pem();
    tls_.server_cert = leaf.cert_pem;
    tls_.server_key = leaf.key_pem;
    if (options_.client_ca) {
      auto device_ca = OrThrow(crypto::CertificateAuthority::Create("otasim test device CA"),
                               "making the device CA");
      crypto::CertRequest device{.common_name = std::string(device_id()),
                                 .server = false,
                                 .client = true};
      auto identity = OrThrow(device_ca.Issue(device), "issuing the device certificate");
      tls_.client_ca = device_ca.cert_pem();
      device_identity_ = {identity.cert_pem, identity.key_pem};
    }
  }
}

const Release& FakeEnv::AddRelease(const ReleaseSpec& spec) {
  // Pseudo-random image bytes, different per release and the same on every run.
  std::mt19937_64 rng(std::hash<std::string>{}(spec.name) ^ spec.sequence);
  std::string image(spec.size, '\0');
  for (char& c : image) c = static_cast<char>(rng() & 0xff);

  auto release = std::make_unique<Release>();
  release->name = spec.name;
  release->image_file = spec.name + ".bin";
  release->image_path = dir_.path() / release->image_file;
  auto written = WriteFileAtomic(release->image_path, image);
  if (!written) throw std::runtime_error("writing image: " + written.error().What());

  manifest::Manifest& m = release->manifest;
  m.vendor_id = "otasim-vendor";
  m.class_id = spec.class_id;
  m.version = spec.version;
  m.sequence = spec.sequence;
  m.image.digest = crypto::HexEncode(crypto::Sha256::Of(crypto::AsBytes(image)));
  m.image.size = spec.size;
  m.image.uri = "images/" + release->image_file;
  m.issued = "2026-01-01T00:00:00Z";
  m.expires = spec.expires;
  auto envelope = OrThrow(manifest::Sign(m, std::span(&vendor_key_, 1)), "signing a manifest");
  release->envelope = manifest::ToJson(envelope);

  std::lock_guard lock(mutex_);
  auto& slot = releases_[spec.name];
  slot = std::move(release);
  return *slot;
}

void FakeEnv::Publish(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = releases_.find(name);
  published_ = it == releases_.end() ? nullptr : it->second.get();
}

void FakeEnv::SetAttackers(std::vector<Attacker*> attackers) {
  std::lock_guard lock(mutex_);
  attackers_ = std::move(attackers);
}

void FakeEnv::SetBroker(BrokerAccess access) { broker_ = std::move(access); }

std::string FakeEnv::ImageBytes(const std::string& release) const {
  const Release* found = FindRelease(release);
  if (found == nullptr) throw std::runtime_error("no release " + release);
  return OrThrow(ReadFile(found->image_path, 1ull << 30), "reading an image");
}

std::vector<Exchange> FakeEnv::exchanges() const {
  std::lock_guard lock(mutex_);
  return exchanges_;
}

std::vector<StatusReport> FakeEnv::statuses() const {
  std::lock_guard lock(mutex_);
  return statuses_;
}

std::vector<nlohmann::json> FakeEnv::Events(const std::string& source,
                                            const std::string& event) const {
  std::vector<nlohmann::json> found;
  for (const auto& entry : timeline_.Snapshot()) {
    if (entry.value("source", "") == source && entry.value("event", "") == event) {
      found.push_back(entry.value("details", nlohmann::json::object()));
    }
  }
  return found;
}

const Release* FakeEnv::FindRelease(std::string_view name) const {
  std::lock_guard lock(mutex_);
  auto it = releases_.find(name);
  return it == releases_.end() ? nullptr : it->second.get();
}

const Release* FakeEnv::PublishedRelease() const {
  std::lock_guard lock(mutex_);
  return published_;
}

std::vector<std::string> FakeEnv::ServedManifests() const {
  std::lock_guard lock(mutex_);
  return served_manifests_;
}

Result<crypto::PrivateKey> FakeEnv::RogueSigningKey() {
  std::lock_guard lock(mutex_);
  if (!rogue_key_) {
    OTASIM_TRY(crypto::PrivateKey key, crypto::PrivateKey::Generate(crypto::KeyAlg::kEd25519));
    rogue_key_ = std::move(key);
  }
  return *rogue_key_;
}

std::uint64_t FakeEnv::Seed(std::string_view component) const {
  return std::hash<std::string_view>{}(component) ^ 0x5eed;
}

std::vector<Attacker*> FakeEnv::ActiveAttackers() {
  std::lock_guard lock(mutex_);
  return attackers_;
}

void FakeEnv::RecordExchange(Exchange exchange) {
  std::lock_guard lock(mutex_);
  exchanges_.push_back(std::move(exchange));
}

void FakeEnv::RecordStatus(StatusReport report) {
  std::lock_guard lock(mutex_);
  statuses_.push_back(std::move(report));
}

void FakeEnv::RecordServedManifest(const std::string& envelope) {
  std::lock_guard lock(mutex_);
  served_manifests_.push_back(envelope);
}

// ---- PluginCatalog ------------------------------------------------------------------------

namespace {

class CollectingRegistrar final : public Registrar {
 public:
  explicit CollectingRegistrar(std::map<std::string, PluginCatalog::Entry>& entries)
      : entries_(entries) {}
  void AddAttacker(TypeInfo info, AttackerFactory factory) override {
    Add(std::move(info)).attacker = std::move(factory);
  }
  void AddFault(TypeInfo info, FaultFactory factory) override {
    Add(std::move(info)).fault = std::move(factory);
  }
  void AddServer(TypeInfo info, ServerFactory factory) override {
    Add(std::move(info)).server = std::move(factory);
  }
  void AddFormat(TypeInfo info, FormatFactory factory) override {
    Add(std::move(info)).format = std::move(factory);
  }

 private:
  PluginCatalog::Entry& Add(TypeInfo info) {
    if (entries_.count(info.id) != 0) throw std::runtime_error("duplicate type " + info.id);
    std::string id = info.id;
    auto& entry = entries_[id];
    entry.info = std::move(info);
    return entry;
  }
  std::map<std::string, PluginCatalog::Entry>& entries_;
};

}  // namespace

PluginCatalog::PluginCatalog() {
  CollectingRegistrar registrar(entries_);
  for (const BuiltinPlugin& plugin : BuiltinPlugins()) {
    char error[512] = {};
    if (plugin.register_fn(&registrar, error, sizeof error) != 0) {
      throw std::runtime_error(std::string(plugin.symbol) + ": " + error);
    }
  }
}

const PluginCatalog& PluginCatalog::Get() {
  static const PluginCatalog catalog;
  return catalog;
}

const TypeInfo* PluginCatalog::Find(const std::string& id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second.info;
}

std::vector<TypeInfo> PluginCatalog::Types() const {
  std::vector<TypeInfo> types;
  for (const auto& [id, entry] : entries_) types.push_back(entry.info);
  return types;
}

Result<Params> PluginCatalog::Bind(const std::string& id,
                                   const std::map<std::string, std::string>& raw) const {
  const TypeInfo* info = Find(id);
  if (info == nullptr) return MakeError(Errc::kNotFound, "no plugin type " + id);
  return Params::Bind(info->params, raw, id);
}

Result<std::unique_ptr<Attacker>> PluginCatalog::MakeAttacker(
    const std::string& id, const std::map<std::string, std::string>& raw) const {
  OTASIM_TRY(Params params, Bind(id, raw));
  const Entry& entry = entries_.at(id);
  if (!entry.attacker) return MakeError(Errc::kInvalidArgument, id + " is not an attacker");
  return entry.attacker(params);
}

Result<std::unique_ptr<Fault>> PluginCatalog::MakeFault(
    const std::string& id, const std::map<std::string, std::string>& raw) const {
  OTASIM_TRY(Params params, Bind(id, raw));
  const Entry& entry = entries_.at(id);
  if (!entry.fault) return MakeError(Errc::kInvalidArgument, id + " is not a fault");
  return entry.fault(params);
}

Result<std::unique_ptr<UpdateServerModel>> PluginCatalog::MakeServer(
    const std::string& id, const std::map<std::string, std::string>& raw) const {
  OTASIM_TRY(Params params, Bind(id, raw));
  const Entry& entry = entries_.at(id);
  if (!entry.server) return MakeError(Errc::kInvalidArgument, id + " is not a server model");
  return entry.server(params);
}

Result<std::unique_ptr<ReleaseFormat>> PluginCatalog::MakeFormat(
    const std::string& id, const std::map<std::string, std::string>& raw) const {
  OTASIM_TRY(Params params, Bind(id, raw));
  const Entry& entry = entries_.at(id);
  if (!entry.format) return MakeError(Errc::kInvalidArgument, id + " is not a release format");
  return entry.format(params);
}

// ---- MqttFakeDevice ----------------------------------------------------------------------

MqttFakeDevice::MqttFakeDevice(const BrokerAccess& access, const std::filesystem::path& ca_file)
    : root_(access.topic_root) {
  mqtt::ClientOptions options;
  options.uri = access.uri;
  if (options.uri.rfind("mqtts://", 0) == 0) options.uri = "ssl://" + options.uri.substr(8);
  if (options.uri.rfind("mqtt://", 0) == 0) options.uri = "tcp://" + options.uri.substr(7);
  options.client_id = access.device_username;
  options.username = access.device_username;
  options.password = access.device_password;
  options.ca_file = ca_file;
  client_ = OrThrow(mqtt::Client::Connect(options), "connecting the fake device");
  for (const char* filter : {"/jobs/#", "/stream/#"}) {
    auto subscribed = client_->Subscribe(root_ + filter, [this](const mqtt::Message& m) {
      OnMessage(m.topic, m.payload);
    });
    if (!subscribed) throw std::runtime_error("fake device: " + subscribed.error().What());
  }
}

MqttFakeDevice::~MqttFakeDevice() = default;

void MqttFakeDevice::OnMessage(const std::string& topic, const std::string& payload) {
  {
    std::lock_guard lock(mutex_);
    if (topic.rfind(root_ + "/jobs/", 0) == 0) {
      if (payload.empty()) return;  // a cleared retained message
      auto job = nlohmann::json::parse(payload, nullptr, false);
      jobs_.push_back(job.is_discarded() ? nlohmann::json("unparsable: " + payload) : job);
    } else {
      const std::string offset = topic.substr(topic.rfind('/') + 1);
      chunks_[std::stoull(offset)] = payload;
      chunk_topics_.push_back(topic);
    }
  }
  arrived_.notify_all();
}

std::optional<nlohmann::json> MqttFakeDevice::RequestJob(const std::string& request_id,
                                                         std::chrono::milliseconds deadline) {
  auto sent = Publish("request/job",
                      nlohmann::json{{"device_id", "dev-0001"}, {"request_id", request_id}}.dump());
  if (!sent) throw std::runtime_error("fake device: " + sent.error().What());
  return NextJob(deadline);
}

std::optional<nlohmann::json> MqttFakeDevice::NextJob(std::chrono::milliseconds deadline) {
  std::unique_lock lock(mutex_);
  if (!arrived_.wait_for(lock, deadline, [this] { return !jobs_.empty(); })) return std::nullopt;
  nlohmann::json job = std::move(jobs_.front());
  jobs_.pop_front();
  return job;
}

void MqttFakeDevice::ResubscribeJobs() {
  const std::string filter = root_ + "/jobs/#";
  auto done = client_->Unsubscribe(filter);
  if (done) {
    done = client_->Subscribe(filter, [this](const mqtt::Message& m) { OnMessage(m.topic, m.payload); });
  }
  if (!done) throw std::runtime_error("fake device: " + done.error().What());
}

void MqttFakeDevice::RequestChunks(const std::string& stream, std::uint64_t offset,
                                   std::uint64_t length) {
  auto sent = Publish("request/chunks",
                      nlohmann::json{{"stream", stream}, {"offset", offset}, {"length", length}}.dump());
  if (!sent) throw std::runtime_error("fake device: " + sent.error().What());
}

std::string MqttFakeDevice::Received(std::uint64_t offset, std::uint64_t at_least,
                                     std::chrono::milliseconds deadline) {
  // The chunks that continue one another from `offset`.
  auto contiguous = [&](std::string* out) {
    std::uint64_t have = 0;
    for (auto it = chunks_.find(offset); it != chunks_.end() && !it->second.empty();
         it = chunks_.find(offset + have)) {
      if (out != nullptr) out->append(it->second);
      have += it->second.size();
    }
    return have;
  };
  std::unique_lock lock(mutex_);
  arrived_.wait_for(lock, deadline, [&] { return contiguous(nullptr) >= at_least; });
  std::string bytes;
  contiguous(&bytes);
  return bytes;
}

std::string MqttFakeDevice::FetchChunks(const std::string& stream, std::uint64_t offset,
                                        std::uint64_t length, std::chrono::milliseconds deadline) {
  RequestChunks(stream, offset, length);
  return Received(offset, length, deadline).substr(0, length);
}

Status MqttFakeDevice::Publish(const std::string& subtopic, const std::string& payload) {
  return client_->Publish(root_ + "/" + subtopic, payload);
}

void MqttFakeDevice::Clear() {
  std::lock_guard lock(mutex_);
  jobs_.clear();
  chunks_.clear();
  chunk_topics_.clear();
}

std::vector<std::string> MqttFakeDevice::ChunkTopics() const {
  std::lock_guard lock(mutex_);
  return chunk_topics_;
}

// ---- helpers ------------------------------------------------------------------------------

Result<std::string> Drain(ByteSource& source, std::uint64_t max_bytes) {
  std::string out;
  std::vector<std::uint8_t> buffer(64 * 1024);
  while (true) {
    OTASIM_TRY(std::size_t n, source.Read(buffer));
    if (n == 0) return out;
    out.append(reinterpret_cast<const char*>(buffer.data()), n);
    if (out.size() > max_bytes) return MakeError(Errc::kInvalidArgument, "source too long");
  }
}

ImageDelivery MakeImageDelivery(const Release& release, std::uint64_t offset) {
  auto source = OpenFileSource(release.image_path, offset);
  if (!source) throw std::runtime_error("opening image: " + source.error().What());
  return ImageDelivery{.release = &release, .offset = offset, .source = std::move(*source)};
}

}  // namespace otasim::testing
