// What a plugin sees of the session it runs in: the releases built for the run, the timeline
// it reports into, a seeded random stream, and the records the server keeps of the device.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "otasim/capture.hpp"
#include "otasim/crypto.hpp"
#include "otasim/manifest.hpp"
#include "otasim/message_bus.hpp"
#include "otasim/result.hpp"

namespace otasim {

// One release built for the session: image file plus its vendor-signed manifest envelope.
struct Release {
  std::string name;            // as named in the scenario ("v2")
  manifest::Manifest manifest;
  std::string envelope;        // signed envelope JSON as served
  std::filesystem::path image_path;
  std::string image_file;      // file name in the image URI ("v2.bin")
};

// Who signs a certificate an attacker asks for.
enum class CertificateIssuer {
  kGenuineCa,   // the CA the device trusts (a valid certificate, possibly for another name)
  kRogueCa,     // a CA the device does not trust
  kSelfSigned,  // no CA at all
};

struct IssuedCertificate {
  std::string cert_pem;  // leaf first, then any intermediate
  std::string key_pem;
  std::string ca_cert_pem;  // the issuing CA's certificate (empty when self-signed)
};

// Everything that happened in a session, in order, for evidence and for the checks.
class Timeline {
 public:
  // source: "harness", "server", "attacker", "device", "fault"
  void Add(std::string_view source, std::string_view event, nlohmann::json details = {});
  nlohmann::json Snapshot() const;  // array of {t_ms, source, event, details}
  void Start();                     // resets the time origin

 private:
  mutable std::mutex mutex_;
  nlohmann::json entries_ = nlohmann::json::array();
  std::int64_t origin_ms_ = 0;
};

// One request the device made and what it got, as the server model saw it.
struct Exchange {
  std::string protocol;         // "http"
  std::string kind;             // "manifest", "image", "status", "other"
  std::string method;
  std::string resource;         // request target
  int status = 0;
  std::uint64_t range_start = 0;
  std::uint64_t bytes_sent = 0;  // body bytes handed to the network
  std::string end;               // "complete", "cut", "peer-gone", "source-error"
  std::string client_identity;   // TLS client identity, if any
  std::string release;           // the release the request resolved to, if any
  int step = -1;                 // scenario step index, filled in by the session
};

// A status report the device sent to the server.
struct StatusReport {
  std::string result;  // "installed", "rejected", "no-update", "error"
  std::string reason;  // reason vocabulary of targets/PROTOCOL.md
  std::string version;
  std::uint64_t sequence = 0;
  int code = 0;
  nlohmann::json raw;
  int step = -1;
};

class SessionContext {
 public:
  virtual ~SessionContext() = default;

  virtual std::string_view protocol() const = 0;
  virtual std::string_view device_id() const = 0;
  virtual const std::filesystem::path& work_dir() const = 0;
  virtual Timeline& timeline() = 0;

  virtual const Release* FindRelease(std::string_view name) const = 0;
  // The release the honest server offers in the current step (nullptr: none).
  virtual const Release* PublishedRelease() const = 0;
  // Manifest envelopes served to the device so far, oldest first (what a replayer captured).
  virtual std::vector<std::string> ServedManifests() const = 0;
  // A signing key that no device trusts, the same for the whole session.
  virtual Result<crypto::PrivateKey> RogueSigningKey() = 0;
  // A seed for a named component, derived from the run seed, scenario and protocol, so that
  // random choices do not depend on -j or on run order.
  virtual std::uint64_t Seed(std::string_view component) const = 0;
  // The device's notion of now for this step (its clock is injectable).
  virtual std::string DeviceNow() const = 0;
  // The run's MQTT broker for this session; nullptr unless the session runs over MQTT.
  virtual const BrokerAccess* broker() const { return nullptr; }
  // The session's evidence capture (capture.pcapng); nullptr when there is none.
  virtual PacketCapture* capture() { return nullptr; }
  // A TLS server certificate for an on-path attacker, issued for `names` (DNS names or IP
  // addresses) by `issuer`. The genuine CA's private key never leaves the session: an attacker
  // can only ask for a certificate, as a mis-issuing CA would give one.
  virtual Result<IssuedCertificate> IssueCertificate(CertificateIssuer issuer,
                                                     const std::vector<std::string>& names) {
    (void)issuer;
    (void)names;
    return Error(Errc::kUnsupported, "this session issues no certificates");
  }
};

}  // namespace otasim
