// The session as plugins see it (ServerEnvironment): releases, the step's published release
// and attackers, and the records of everything the device asked and reported. Thread-safe:
// the server model calls it from its own thread while the session drives the device.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "capture/file_capture.hpp"
#include "otasim/server_model.hpp"
#include "otasim/time.hpp"

namespace otasim::scenario {

class SessionEnvironment final : public ServerEnvironment {
 public:
  SessionEnvironment(std::string protocol, std::string device_id, std::filesystem::path work_dir,
                     std::uint64_t seed_base, TlsMaterial tls, SysTime start);

  // Set-up by the session (before the server starts).
  void AddRelease(Release release);
  const std::map<std::string, Release>& releases() const { return releases_; }

  // Per step (while the device is idle).
  void BeginStep(int index, const Release* published, std::vector<Attacker*> attackers,
                 SysTime device_now);
  std::vector<Exchange> ExchangesSince(std::size_t first) const;
  std::vector<StatusReport> ReportsSince(std::size_t first) const;
  std::size_t ExchangeCount() const;
  std::size_t ReportCount() const;
  std::vector<Exchange> AllExchanges() const;
  std::vector<StatusReport> AllReports() const;

  // SessionContext
  std::string_view protocol() const override { return protocol_; }
  std::string_view device_id() const override { return device_id_; }
  const std::filesystem::path& work_dir() const override { return work_dir_; }
  Timeline& timeline() override { return timeline_; }
  const Release* FindRelease(std::string_view name) const override;
  const Release* PublishedRelease() const override;
  std::vector<std::string> ServedManifests() const override;
  Result<crypto::PrivateKey> RogueSigningKey() override;
  std::uint64_t Seed(std::string_view component) const override;
  std::string DeviceNow() const override;
  const BrokerAccess* broker() const override { return broker_ ? &*broker_ : nullptr; }
  void SetBroker(BrokerAccess access) { broker_ = std::move(access); }  // before the server starts
  // The evidence capture: started before the server starts (a file that cannot be created is
  // noted in the timeline and the session runs without one), stopped after it stopped.
  PacketCapture* capture() override { return capture_.get(); }
  void StartCapture(const std::filesystem::path& path, std::string comment);
  void StopCapture();
  // The session CA (whose key only the session holds), for IssueCertificate(kGenuineCa).
  void SetCertificateAuthority(std::shared_ptr<const crypto::CertificateAuthority> ca) {
    genuine_ca_ = std::move(ca);
  }
  Result<IssuedCertificate> IssueCertificate(CertificateIssuer issuer,
                                             const std::vector<std::string>& names) override;

  // ServerEnvironment
  bool UseTls() const override { return true; }
  const TlsMaterial& tls() const override { return tls_; }
  std::vector<Attacker*> ActiveAttackers() override;
  void RecordExchange(Exchange exchange) override;
  void RecordStatus(StatusReport report) override;
  void RecordServedManifest(const std::string& envelope) override;
  ReleaseFormat* release_format() override { return release_format_.get(); }
  FormatContext* format_context() override { return format_context_.get(); }
  // The device's release format and the identities to render it with (before the server
  // starts; none: the native manifest + image pair).
  void SetReleaseFormat(std::unique_ptr<ReleaseFormat> format) { release_format_ = std::move(format); }
  void SetFormatContext(std::unique_ptr<FormatContext> context) { format_context_ = std::move(context); }
  std::string bind_host() const override { return bind_host_; }
  std::uint16_t bind_port() const override { return bind_port_; }
  // `otasim run --listen HOST:PORT`: a device on the network (before the server starts).
  void SetBindAddress(std::string host, std::uint16_t port) {
    bind_host_ = std::move(host);
    bind_port_ = port;
  }

 private:
  const std::string protocol_;
  const std::string device_id_;
  const std::filesystem::path work_dir_;
  const std::uint64_t seed_base_;
  const TlsMaterial tls_;
  Timeline timeline_;
  std::map<std::string, Release> releases_;

  mutable std::mutex mutex_;
  int step_ = -1;
  const Release* published_ = nullptr;
  std::vector<Attacker*> attackers_;
  SysTime device_now_;
  std::vector<Exchange> exchanges_;
  std::vector<StatusReport> reports_;
  std::vector<std::string> served_manifests_;
  std::optional<crypto::PrivateKey> rogue_key_;
  std::optional<BrokerAccess> broker_;
  std::unique_ptr<capture::FileCapture> capture_;  // kept after StopCapture: late calls are ignored
  std::shared_ptr<const crypto::CertificateAuthority> genuine_ca_;
  std::optional<crypto::CertificateAuthority> rogue_ca_;  // made on first use, under mutex_
  std::unique_ptr<ReleaseFormat> release_format_;
  std::unique_ptr<FormatContext> format_context_;
  std::string bind_host_ = "127.0.0.1";
  std::uint16_t bind_port_ = 0;  // 0: a free port
};

// FNV-1a: stable across builds and platforms, unlike std::hash.
std::uint64_t StableHash(std::string_view text, std::uint64_t basis = 14695981039346656037ull);

}  // namespace otasim::scenario
