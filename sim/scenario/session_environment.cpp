#include "scenario/session_environment.hpp"

#include "otasim/version.hpp"

#include <arpa/inet.h>

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

namespace {

bool IsIpAddress(const std::string& name) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, name.c_str(), buffer) == 1 || inet_pton(AF_INET6, name.c_str(), buffer) == 1;
}

const char* IssuerName(CertificateIssuer issuer) {
  switch (issuer) {
    case CertificateIssuer::kGenuineCa: return "genuine-ca";
    case CertificateIssuer::kRogueCa: return "rogue-ca";
    case CertificateIssuer::kSelfSigned: return "self-signed";
  }
  return "unknown";
}

}  // namespace

Result<IssuedCertificate> SessionEnvironment::IssueCertificate(
    CertificateIssuer issuer, const std::vector<std::string>& names) {
  if (names.empty()) return MakeError(Errc::kInvalidArgument, "a certificate needs at least one name");
  crypto::CertRequest request;
  request.common_name = names.front();
  for (const auto& name : names) {
    (IsIpAddress(name) ? request.ip_addresses : request.dns_names).push_back(name);
  }
  IssuedCertificate issued;
  std::string issuer_subject;
  switch (issuer) {
    case CertificateIssuer::kGenuineCa: {
      if (!genuine_ca_) return MakeError(Errc::kUnsupported, "this session has no CA to issue from");
      OTASIM_TRY(auto cert, genuine_ca_->Issue(request));
      issued = {cert.cert_pem, cert.key_pem, genuine_ca_->cert_pem()};
      issuer_subject = "otasim session CA";
      break;
    }
    case CertificateIssuer::kRogueCa: {
      std::lock_guard lock(mutex_);
      if (!rogue_ca_) {
        OTASIM_TRY(auto rogue, crypto::CertificateAuthority::Create("otasim rogue CA"));
        rogue_ca_ = std::move(rogue);
      }
      OTASIM_TRY(auto cert, rogue_ca_->Issue(request));
      issued = {cert.cert_pem, cert.key_pem, rogue_ca_->cert_pem()};
      issuer_subject = "otasim rogue CA";
      break;
    }
    case CertificateIssuer::kSelfSigned: {
      OTASIM_TRY(auto cert, crypto::CertificateAuthority::SelfSigned(request));
      issued = {cert.cert_pem, cert.key_pem, ""};
      issuer_subject = names.front();
      break;
    }
  }
  // Evidence of what was issued; the key never goes anywhere but to the caller.
  timeline_.Add("attacker", "certificate-issued",
                {{"issuer", IssuerName(issuer)},
                 {"subject_cn", request.common_name},
                 {"issuer_cn", issuer_subject},
                 {"dns_names", request.dns_names},
                 {"ip_addresses", request.ip_addresses}});
  return issued;
}

void SessionEnvironment::StartCapture(const std::filesystem::path& path, std::string comment) {
  capture::CaptureOptions options;
  options.user_application = "otasim " OTASIM_VERSION_STRING;
  options.comment = std::move(comment);
  options.on_error = [this](const Error& error) {
    timeline_.Add("harness", "capture-error", {{"error", error.What()}});
  };
  auto capture = capture::FileCapture::Create(path, std::move(options));
  if (!capture) {
    timeline_.Add("harness", "capture-error", {{"error", capture.error().What()}});
    return;
  }
  capture_ = std::move(capture).value();
}

void SessionEnvironment::StopCapture() {
  if (!capture_) return;
  const bool closed = capture_->Close().ok();  // an error was reported through on_error
  const capture::CaptureStats stats = capture_->stats();
  timeline_.Add("harness", "capture-closed",
                {{"ok", closed}, {"flows", stats.flows}, {"packets", stats.packets},
                 {"file_bytes", stats.file_bytes}, {"payload_bytes", stats.payload_bytes},
                 {"elided_bytes", stats.elided_bytes}});
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
