#include "plugins_fake_env.hpp"

#include <functional>
#include <random>
#include <stdexcept>
#include <utility>

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

}  // namespace

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
