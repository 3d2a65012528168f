#include "scenario/session_environment.hpp"

namespace otasim::scenario {

std::uint64_t StableHash(std::string_view text, std::uint64_t basis) {
  std::uint64_t hash = basis;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

SessionEnvironment::SessionEnvironment(std::string protocol, std::string device_id,
                                       std::filesystem::path work_dir, std::uint64_t seed_base,
                                       TlsMaterial tls, SysTime start)
    : protocol_(std::move(protocol)),
      device_id_(std::move(device_id)),
      work_dir_(std::move(work_dir)),
      seed_base_(seed_base),
      tls_(std::move(tls)),
      device_now_(start) {
  timeline_.Start();
}

void SessionEnvironment::AddRelease(Release release) {
  const std::string name = release.name;
  releases_[name] = std::move(release);
}

void SessionEnvironment::BeginStep(int index, const Release* published,
                                   std::vector<Attacker*> attackers, SysTime device_now) {
  std::lock_guard lock(mutex_);
  step_ = index;
  published_ = published;
  attackers_ = std::move(attackers);
  device_now_ = device_now;
}

std::vector<Exchange> SessionEnvironment::ExchangesSince(std::size_t first) const {
  std::lock_guard lock(mutex_);
  if (first >= exchanges_.size()) return {};
  return {exchanges_.begin() + static_cast<std::ptrdiff_t>(first), exchanges_.end()};
}

std::vector<StatusReport> SessionEnvironment::ReportsSince(std::size_t first) const {
  std::lock_guard lock(mutex_);
  if (first >= reports_.size()) return {};
  return {reports_.begin() + static_cast<std::ptrdiff_t>(first), reports_.end()};
}

std::size_t SessionEnvironment::ExchangeCount() const {
  std::lock_guard lock(mutex_);
  return exchanges_.size();
}

std::size_t SessionEnvironment::ReportCount() const {
  std::lock_guard lock(mutex_);
  return reports_.size();
}

std::vector<Exchange> SessionEnvironment::AllExchanges() const { return ExchangesSince(0); }
std::vector<StatusReport> SessionEnvironment::AllReports() const { return ReportsSince(0); }

const Release* SessionEnvironment::FindRelease(std::string_view name) const {
  auto it = releases_.find(std::string(name));
  return it == releases_.end() ? nullptr : &it->second;
}

const Release* SessionEnvironment::PublishedRelease() const {
  std::lock_guard lock(mutex_);
  return published_;
}

std::vector<std::string> SessionEnvironment::ServedManifests() const {
  std::lock_guard lock(mutex_);
  return served_manifests_;
}

Result<crypto::PrivateKey> SessionEnvironment::RogueSigningKey() {
  std::lock_guard lock(mutex_);
  if (!rogue_key_) {
    OTASIM_TRY(crypto::PrivateKey key, crypto::PrivateKey::Generate(crypto::KeyAlg::kEd25519));
    rogue_key_ = std::move(key);
  }
  return *rogue_key_;
}

std::uint64_t SessionEnvironment::Seed(std::string_view component) const {
  return StableHash(component, seed_base_);
}

std::string SessionEnvironment::DeviceNow() const {
  std::lock_guard lock(mutex_);
  return FormatRfc3339(device_now_);
}

std::vector<Attacker*> SessionEnvironment::ActiveAttackers() {
  std::lock_guard lock(mutex_);
  return attackers_;
}

void SessionEnvironment::RecordExchange(Exchange exchange) {
  std::lock_guard lock(mutex_);
  exchange.step = step_;
  exchanges_.push_back(std::move(exchange));
}

void SessionEnvironment::RecordStatus(StatusReport report) {
  std::lock_guard lock(mutex_);
  report.step = step_;
  reports_.push_back(std::move(report));
}

void SessionEnvironment::RecordServedManifest(const std::string& envelope) {
  std::lock_guard lock(mutex_);
  served_manifests_.push_back(envelope);
}

}  // namespace otasim::scenario
