#include "scenario/session.hpp"

#include <atomic>
#include <chrono>
#include <fstream>
#include <random>

#include "otasim/files.hpp"
#include "otasim/time.hpp"
#include "scenario/expectations.hpp"
#include "scenario/guarded_attacker.hpp"
#include "scenario/release_builder.hpp"
#include "scenario/remote_bundle.hpp"
#include "scenario/scenario_trust.hpp"
#include "scenario/session_environment.hpp"
#include "scenario/signing_identities.hpp"
#include "scenario/transport_wrap.hpp"
#include "target/contract_target.hpp"
#include "target/remote_target.hpp"
#include "target/template_target.hpp"

namespace otasim::scenario {

namespace {

using Clock = std::chrono::steady_clock;
using scoring::CheckResult;
using scoring::ScenarioResult;
using scoring::StepResult;
using scoring::Verdict;

constexpr const char* kDeviceId = "dev-0001";
constexpr std::size_t kPskBytes = 16;

std::int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

std::string SafeName(std::string text) {
  for (char& c : text) {
    if (c == '/') c = '_';
  }
  return text;
}

// Keys and certificates of one session. Nothing here is shared between sessions.
struct SessionKeys {
  crypto::PrivateKey vendor;
  crypto::PrivateKey rogue;
  TlsMaterial tls;
  crypto::IssuedCert device_identity;
  std::shared_ptr<const crypto::CertificateAuthority> ca;  // issues attackers' certificates too
};

// The DTLS pre-shared key: fresh per session, from the OS (never derived from the seed, which
// is printed in the report).
std::string FreshPsk() {
  std::random_device random;
  std::string key;
  for (std::size_t i = 0; i < kPskBytes; ++i) key.push_back(static_cast<char>(random() & 0xff));
  return key;
}

// --keys: the vendor key, TLS CA, server certificate and device identity a device on the
// network was provisioned with once. Its identity (and PSK identity) is the device id it was
// given, the same in every session; attackers' "genuine" certificates come from that CA.
Result<SessionKeys> MakeFixedKeys(const FixedKeys& fixed) {
  OTASIM_TRY(auto rogue, crypto::PrivateKey::Generate(crypto::KeyAlg::kEd25519));
  TlsMaterial tls{fixed.tls_ca_pem, fixed.server_cert_pem, fixed.server_key_pem,
                  fixed.tls_ca_pem, fixed.device_id, FreshPsk()};
  return SessionKeys{fixed.vendor, std::move(rogue), std::move(tls),
                     crypto::IssuedCert{fixed.device_cert_pem, fixed.device_key_pem}, fixed.tls_ca};
}

Result<SessionKeys> MakeKeys(const std::string& device_id) {
  OTASIM_TRY(auto vendor, crypto::PrivateKey::Generate(crypto::KeyAlg::kEd25519));
  OTASIM_TRY(auto rogue, crypto::PrivateKey::Generate(crypto::KeyAlg::kEd25519));
  OTASIM_TRY(auto ca, crypto::CertificateAuthority::Create("otasim session CA"));
  crypto::CertRequest server_req;
  server_req.common_name = "localhost";
  server_req.dns_names = {"localhost"};
  server_req.ip_addresses = {"127.0.0.1"};
  OTASIM_TRY(auto server, ca.Issue(server_req));
  crypto::CertRequest device_req;
  device_req.common_name = device_id;
  device_req.server = false;
  device_req.client = true;
  OTASIM_TRY(auto device, ca.Issue(device_req));
  TlsMaterial tls{ca.cert_pem(), server.cert_pem, server.key_pem, ca.cert_pem(), device_id, FreshPsk()};
  return SessionKeys{std::move(vendor), std::move(rogue), std::move(tls), std::move(device),
                     std::make_shared<const crypto::CertificateAuthority>(std::move(ca))};
}

// Appends one verb's output to the device log of the evidence.
void AppendDeviceLog(const std::filesystem::path& log, const std::string& heading,
                     const target::VerbRun& run) {
  std::ofstream out(log, std::ios::app);
  out << "=== " << heading << ": " << run.verb << " → " << run.process.Describe() << " in "
      << run.process.duration_ms << " ms\n";
  if (!run.stderr_text.empty()) out << "--- stderr\n" << run.stderr_text;
  if (!run.stdout_text.empty()) out << "--- stdout\n" << run.stdout_text;
  if (!run.stdout_text.empty() && run.stdout_text.back() != '\n') out << '\n';
  if (run.outcome) {
    out << "--- outcome: " << *run.outcome << (run.reason.empty() ? "" : " (" + run.reason + ")")
        << " \u2014 " << run.evidence << "\n";
  }
}

// What the step's action came to, in words: the process, and what the adapter read from it.
std::string DescribeRun(const target::VerbRun& run) {
  std::string detail = run.process.Describe();
  if (run.outcome) {
    detail += "; " + *run.outcome + (run.reason.empty() ? "" : " (" + run.reason + ")") +
              " by " + run.evidence;
  }
  return detail;
}

Outcome ClassifyCheck(const target::VerbRun& run, bool power_cut_planned) {
  // An adapter that reads the client's outcome itself (log, report, exit-code rules) has
  // decided already.
  if (run.outcome) return ParseOutcome(*run.outcome).value_or(Outcome::kError);
  const auto& p = run.process;
  if (p.timed_out) return Outcome::kError;
  if (!p.exited) return power_cut_planned && p.signal == 9 ? Outcome::kPowerLost : Outcome::kError;
  switch (p.exit_code) {
    case 0: return Outcome::kInstalled;
    case 10: return Outcome::kNoUpdate;
    case 20: return Outcome::kRejected;
    case 30: return Outcome::kFailed;
    default: return Outcome::kError;
  }
}

class Session {
 public:
  Session(const RunContext& run, const ScenarioSpec& spec, std::string protocol, std::string tag)
      : run_(run), spec_(spec), protocol_(std::move(protocol)), tag_(std::move(tag)) {
    result_.id = spec.id;
    result_.title = spec.title;
    result_.protocol = protocol_;
    result_.requirements = spec.requirements;
    result_.evidence_dir = EvidenceDir(spec, protocol_);
  }

  ScenarioResult Run() {
    const auto start = Clock::now();
    Status status = Prepare();
    if (status) status = ExecuteSteps();
    if (!status) {
      result_.verdict = skip_ ? Verdict::kSkip : Verdict::kError;
      result_.reason = status.error().message();
    } else {
      result_.verdict = scoring::DecideScenario(result_.steps, &result_.reason);
    }
    TearDown();
    result_.duration_ms = MsSince(start);
    return std::move(result_);
  }

 private:
  Status Prepare() {
    const auto* profile = run_.profile;
    if (auto reason = RemoteSkipReason()) return Skip(*reason);
    // Verbs and faults the scenario needs, or a skip with the reason.
    for (const auto& step : spec_.steps) {
      if (step.action == Action::kBoot && !profile->Supports("boot")) {
        return Skip("target '" + profile->name + "' has no boot verb");
      }
      for (const auto& attack : step.attacks) {
        if (attack.id.rfind("fault.", 0) == 0 && profile->power_cut != "env") {
          return Skip("target '" + profile->name + "' cannot be power-cut");
        }
      }
    }
    auto server_id = profile->servers.find(protocol_);
    server_model_ = server_id != profile->servers.end() ? server_id->second : ServerModelFor(protocol_);
    if (server_model_.empty()) {
      return MakeError(Errc::kUnsupported, "no server model for protocol " + protocol_);
    }
    if (protocol_ == "mqtt" && !run_.broker_for) {
      return MakeError(Errc::kInternal, "an MQTT session without the run's broker");
    }
    evidence_ = run_.out_dir / result_.evidence_dir;
    work_ = run_.work_root / SafeName(spec_.id + "@" + protocol_);
    OTASIM_TRY(format_, CreateReleaseFormat());
    if (!format_->CarriesRootDocuments() && NeedsRootDocuments()) {
      return Skip("release format " + profile->release_format + " carries no root documents");
    }
    std::error_code ec;
    std::filesystem::remove_all(work_, ec);
    std::filesystem::remove_all(evidence_, ec);
    for (const auto& dir : {work_ / "releases", work_ / "device" / "state", work_ / "scratch", evidence_}) {
      std::filesystem::create_directories(dir, ec);
      if (ec) return MakeError(Errc::kIo, "creating " + dir.string() + ": " + ec.message());
    }
    start_time_ = std::chrono::floor<std::chrono::seconds>(NowUtc());
    const std::uint64_t seed_base = StableHash(
        spec_.id + "@" + protocol_, StableHash(std::to_string(run_.seed)));

    // The device's credential (certificate CN, PSK identity) names this session too: unique.
    OTASIM_TRY(SessionKeys keys, run_.fixed_keys ? MakeFixedKeys(*run_.fixed_keys)
                                                 : MakeKeys(BrokerUserFor(tag_)));
    keys_ = std::make_unique<SessionKeys>(std::move(keys));
    // A device provisioned from a key directory keeps the id its certificate names.
    device_id_ = run_.fixed_keys ? run_.fixed_keys->device_id : std::string(kDeviceId);
    OTASIM_TRY(ScenarioTrust trust, BuildScenarioTrust(spec_, keys_->vendor, keys_->rogue, start_time_));
    trust_ = std::make_unique<ScenarioTrust>(std::move(trust));
    env_ = std::make_unique<SessionEnvironment>(protocol_, device_id_, work_, seed_base, keys_->tls,
                                                start_time_);
    env_->SetCertificateAuthority(keys_->ca);
    if (!run_.listen_host.empty()) env_->SetBindAddress(run_.listen_host, run_.listen_port);
    std::map<std::string, const crypto::PrivateKey*> manifest_keys = {{"vendor", &keys_->vendor},
                                                                      {"rogue", &keys_->rogue}};
    for (const auto& [name, key] : trust_->keys) manifest_keys.emplace(name, &key);
    env_->SetFormatContext(std::make_unique<SigningIdentities>(std::move(manifest_keys)));
    env_->SetReleaseFormat(std::move(format_));
    env_->timeline().Add("harness", "session-start",
                         {{"scenario", spec_.id}, {"protocol", protocol_}, {"seed", run_.seed},
                          {"start_time", FormatRfc3339(start_time_)}});
    env_->StartCapture(evidence_ / "capture.pcapng",
                       "otasim scenario " + spec_.id + " over " + protocol_);
    ReleaseKeys release_keys{&keys_->vendor, &keys_->rogue, &trust_->keys, &trust_->roots};
    for (const auto& [name, release_spec] : spec_.releases) {
      OTASIM_TRY(Release release, BuildRelease(release_spec, work_ / "releases",
                                               env_->Seed("release:" + name), start_time_,
                                               release_keys));
      env_->timeline().Add("harness", "release-built",
                           {{"release", name}, {"version", release.manifest.version},
                            {"sequence", release.manifest.sequence},
                            {"size", release.manifest.image.size},
                            {"digest", release.manifest.image.digest},
                            {"class_id", release.manifest.class_id},
                            {"expires", release.manifest.expires}, {"signer", release_spec.signer}});
      env_->AddRelease(std::move(release));
    }

    const auto dev = work_ / "device";
    std::string broker_password;
    if (protocol_ == "mqtt") {
      OTASIM_TRY(BrokerAccess access, run_.broker_for(BrokerUserFor(tag_)));
      broker_password = access.device_password;
      env_->SetBroker(std::move(access));
    }
    // The profile's server parameters, under the scenario's own.
    std::map<std::string, std::string> server_params;
    if (auto it = spec_.server_params.find(protocol_); it != spec_.server_params.end()) {
      server_params = it->second;
    }
    if (auto it = profile->server_params.find(protocol_); it != profile->server_params.end()) {
      for (const auto& [name, value] : it->second) server_params.try_emplace(name, value);
    }
    OTASIM_TRY(server_, run_.registry->CreateServer(server_model_, server_params,
                                                    "session " + spec_.id));
    OTASIM_TRY(nlohmann::json endpoint, server_->Start(*env_));
    server_started_ = true;
    env_->timeline().Add("server", "started", endpoint);
    OTASIM_CHECK(AddDeviceCredentials(endpoint, broker_password));

    // Files the device is given: CA, its identity, the vendor's public key. Over MQTT the
    // device also trusts the run's broker CA.
    std::string ca_bundle = keys_->tls.ca_cert;
    if (protocol_ == "mqtt") ca_bundle += run_.broker_ca_pem;
    OTASIM_CHECK(WriteFileAtomic(dev / "ca.pem", ca_bundle));
    OTASIM_CHECK(WriteFileAtomic(dev / "device.pem", keys_->device_identity.cert_pem));
    OTASIM_CHECK(WriteFileAtomic(dev / "device.key", keys_->device_identity.key_pem, kPermsPrivate));
    OTASIM_CHECK(WriteFileAtomic(dev / "vendor.pub.pem", keys_->vendor.Public().ToPem()));
    const bool root_anchor = !trust_->provisioned_root.empty();  // `trust: root`
    if (root_anchor) OTASIM_CHECK(WriteFileAtomic(dev / "root.json", trust_->provisioned_root));
    // A client that takes another release format verifies with that format's anchor (SWUpdate:
    // the code-signing certificate); otasim's own format keeps the files above.
    std::string trust_anchor = (dev / (root_anchor ? "root.json" : "vendor.pub.pem")).string();
    if (profile->release_format != "format.native") {
      OTASIM_TRY(std::string anchor_pem,
                 env_->release_format()->TrustAnchorPem(*env_->format_context()));
      OTASIM_CHECK(WriteFileAtomic(dev / "trust_anchor.pem", anchor_pem));
      trust_anchor = (dev / "trust_anchor.pem").string();
    }
    const Release* initial = env_->FindRelease(spec_.initial_release);
    config_ = {
        {"contract", "otasim-target/1"},
        {"device_id", device_id_},
        {"vendor_id", kVendorId},
        {"class_id", kClassId},
        {"protocol", protocol_},
        {"endpoints", {{protocol_, endpoint}}},
        {"tls", {{"ca_file", (dev / "ca.pem").string()},
                 {"client_cert", (dev / "device.pem").string()},
                 {"client_key", (dev / "device.key").string()}}},
        {"trust_anchors", {trust_anchor}},
        {"limits", {{"max_image_bytes", 64ull << 20}, {"timeout_ms", 3000}, {"poll_interval_ms", 500},
                    // Slow retrieval: a tight window keeps the trickle scenarios short.
                    {"min_bytes_per_second", 1024}, {"rate_window_ms", 1000}}},
        {"now", FormatRfc3339(start_time_)},
        {"initial_firmware",
         {{"manifest", (work_ / "releases" / (initial->name + ".manifest.json")).string()},
          {"image", initial->image_path.string()}}}};
    OTASIM_CHECK(WriteConfig());

    if (profile->adapter == "remote") {
      OTASIM_TRY(target_, MakeRemoteTarget());
    } else if (profile->adapter == "template") {
      target_ = std::make_unique<target::TemplateTarget>(*profile, run_.target_values,
                                                         dev / "state", dev / "config.json",
                                                         work_ / "scratch");
    } else {
      target_ = std::make_unique<target::ContractTarget>(*profile, run_.target_values,
                                                         dev / "state", dev / "config.json",
                                                         work_ / "scratch");
    }
    target_->SetSessionFacts(config_, env_->releases());
    OTASIM_TRY(target::VerbRun provision, target_->Provision());
    AppendDeviceLog(evidence_ / "device.log", "provision", provision);
    env_->timeline().Add("device", "provision", {{"result", provision.process.Describe()}});
    if (!provision.process.exited || provision.process.exit_code != 0) {
      return MakeError(Errc::kProtocol, "the device could not be provisioned: " +
                                            provision.process.Describe() + " (see device.log)");
    }
    OTASIM_TRY(state_, ObserveState("after provisioning"));
    return {};
  }

  // The secrets the endpoint block names by file: the DTLS pre-shared key (CoAPS with
  // security psk) and the device's broker credentials (MQTT).
  Status AddDeviceCredentials(nlohmann::json& endpoint, const std::string& broker_password) {
    const auto dev = work_ / "device";
    if (protocol_ == "coap" && endpoint.value("security", "") == "psk") {
      OTASIM_CHECK(WriteFileAtomic(dev / "device.psk",
                                   crypto::HexEncode(crypto::AsBytes(keys_->tls.psk_key)) + "\n",
                                   kPermsPrivate));
      endpoint["psk_identity"] = keys_->tls.psk_identity;
      endpoint["psk_file"] = (dev / "device.psk").string();
    }
    if (protocol_ == "mqtt") {
      const BrokerAccess* access = env_->broker();
      OTASIM_CHECK(WriteFileAtomic(dev / "broker.pass", broker_password + "\n", kPermsPrivate));
      endpoint["client_id"] = access->device_username;
      endpoint["username"] = access->device_username;
      endpoint["password_file"] = (dev / "broker.pass").string();
    }
    return {};
  }

  // The CA the genuine endpoint's certificate chains to (over MQTT: the run's broker CA).
  std::string GenuineCaFor(const std::string& protocol) const {
    return protocol == "mqtt" ? run_.broker_ca_pem : keys_->tls.ca_cert;
  }

  // The device's configuration; the adapter learns every change before the next verb.
  Status WriteConfig() {
    OTASIM_CHECK(WriteFileAtomic(work_ / "device" / "config.json", config_.dump(2)));
    if (target_) target_->SetSessionFacts(config_, env_->releases());
    return {};
  }

  // The session's release format, from the profile (default format.native); its parameters
  // may name the device's directories.
  Result<std::unique_ptr<ReleaseFormat>> CreateReleaseFormat() const {
    const auto& profile = *run_.profile;
    target::TemplateMap values = run_.target_values;
    values.merge(target::SessionDirValues(work_ / "device" / "state", work_ / "scratch",
                                          work_ / "device" / "config.json"));
    std::map<std::string, std::string> params;
    for (const auto& [name, text] : profile.release_format_params) {
      auto expanded = target::ExpandTemplate(text, values);
      if (!expanded) {
        return expanded.error().WithContext(profile.file.string() + ": release_format.params." + name);
      }
      params[name] = *expanded;
    }
    return run_.registry->CreateFormat(profile.release_format, params,
                                       "target profile " + profile.file.string());
  }

  // `trust: root`, or a release that carries root updates.
  bool NeedsRootDocuments() const {
    if (spec_.trust == "root") return true;
    for (const auto& [name, release] : spec_.releases) {
      if (!release.root_updates.empty()) return true;
    }
    return false;
  }

  // A device on the network runs on its own clock: a scenario that moves the device's clock
  // cannot be played with it.
  std::optional<std::string> RemoteSkipReason() const {
    if (run_.profile->adapter != "remote") return std::nullopt;
    for (const auto& step : spec_.steps) {
      auto offset = ParseOffset(step.clock);
      if (offset && offset->count() != 0) {
        return "step '" + step.name + "' moves the device's clock (" + step.clock +
               "), and a remote device keeps its own";
      }
    }
    return std::nullopt;
  }

  // How long a check may take: the step's deadline, or for a remote device the profile's
  // check timeout when it has one (a device that polls seldom).
  std::chrono::milliseconds CheckDeadline(const StepSpec& spec) const {
    const auto& profile = *run_.profile;
    if (profile.adapter == "remote" && profile.timeouts.count("check")) return profile.Timeout("check");
    return spec.timeout;
  }

  // The provisioning bundle of the remote device (the session's files and a configuration
  // naming them), and the adapter that waits for the device.
  Result<std::unique_ptr<target::DeviceAdapter>> MakeRemoteTarget() {
    const std::filesystem::path bundle_dir =
        run_.remote_bundle_dir.empty() ? run_.out_dir / "remote" / "bundle" : run_.remote_bundle_dir;
    OTASIM_TRY(nlohmann::json bundle, WriteRemoteBundle(config_, bundle_dir));
    target::TemplateMap values = target::ConfigValues(bundle, env_->releases());
    values["bundle_dir"] = bundle_dir.string();
    values["config_file"] = (bundle_dir / "config.json").string();
    values["scenario"] = spec_.id;
    for (const auto& [name, value] : run_.target_values) values.try_emplace(name, value);
    env_->timeline().Add("harness", "remote-bundle",
                         {{"dir", bundle_dir.string()}, {"reset", run_.remote_reset}});
    return std::unique_ptr<target::DeviceAdapter>(std::make_unique<target::RemoteTarget>(
        *run_.profile, std::move(values), run_.remote_reset, work_ / "scratch"));
  }

  Result<nlohmann::json> ObserveState(const std::string& when) {
    target::VerbRun run;
    auto state = target_->State(&run);
    AppendDeviceLog(evidence_ / "device.log", "state " + when, run);
    if (!state) return state.error().WithContext("observing the device " + when);
    env_->timeline().Add("device", "state", {{"when", when}, {"state", *state}});
    return state;
  }

  Status ExecuteSteps() {
    for (std::size_t i = 0; i < spec_.steps.size(); ++i) {
      StepResult step = ExecuteStep(static_cast<int>(i) + 1, spec_.steps[i]);
      const bool stop = !step.error.empty();
      result_.steps.push_back(std::move(step));
      if (stop) break;  // the device's state is unknown: later steps would judge noise
    }
    if (!remote_skip_.empty()) return Skip(remote_skip_);
    return {};
  }

  StepResult ExecuteStep(int index, const StepSpec& spec) {
    const auto start = Clock::now();
    StepResult step;
    step.index = index;
    step.name = spec.name;
    step.control = spec.control;
    step.action = spec.action == Action::kCheck ? "check" : spec.action == Action::kBoot ? "boot" : "none";
    for (const auto& attack : spec.attacks) step.attacks.push_back(attack.id);
    Status status = RunStep(index, spec, step);
    if (!status) step.error = status.error().message();
    step.duration_ms = MsSince(start);
    env_->timeline().Add("harness", "step-end",
                         {{"step", index}, {"name", spec.name}, {"error", step.error}});
    return step;
  }

  Status RunStep(int index, const StepSpec& spec, StepResult& step) {
    // Plugins of this step, prepared before the device acts.
    // Every attacker runs guarded: a hook that hangs or throws makes the step an error.
    std::vector<std::unique_ptr<GuardedAttacker>> attackers;
    std::vector<std::unique_ptr<Fault>> faults;
    const std::string where = spec_.id + " step " + std::to_string(index);
    for (const auto& attack : spec.attacks) {
      auto type = run_.registry->Require(attack.id);
      if (!type) return type.error();
      if ((*type)->info.kind == PluginKind::kFault) {
        OTASIM_TRY(auto fault, run_.registry->CreateFault(attack.id, attack.params, where));
        faults.push_back(std::move(fault));
      } else {
        OTASIM_TRY(auto attacker, run_.registry->CreateAttacker(attack.id, attack.params, where));
        attackers.push_back(std::make_unique<GuardedAttacker>(std::move(attacker), attack.id,
                                                              [this] { hook_abandoned_ = true; }));
      }
    }
    std::vector<Attacker*> active;
    for (auto& a : attackers) active.push_back(a.get());
    OTASIM_TRY(auto offset, ParseOffset(spec.clock));
    const SysTime device_now = start_time_ + offset;
    const Release* published = spec.serve ? env_->FindRelease(*spec.serve) : nullptr;
    env_->BeginStep(index, published, active, device_now);
    env_->timeline().Add("harness", "step-start",
                         {{"step", index}, {"name", spec.name}, {"control", spec.control},
                          {"serve", spec.serve.value_or("none")}, {"attacks", step.attacks},
                          {"device_now", FormatRfc3339(device_now)}});
    for (std::size_t a = 0; a < attackers.size(); ++a) {
      Status prepared = attackers[a]->Prepare(*env_);
      if (!prepared) return prepared.error().WithContext("preparing " + spec.attacks[a].id);
    }
    // On-path attackers: the device may be pointed at a proxy for this step only.
    TransportWrap transport(*env_, active, config_["endpoints"][protocol_]);
    OTASIM_TRY(TransportEndpoint genuine, GenuineEndpoint(protocol_, config_["endpoints"][protocol_],
                                                          GenuineCaFor(protocol_)));
    OTASIM_TRY(bool wrapped, transport.Wrap(genuine));
    if (wrapped && run_.profile->adapter == "remote") {
      remote_skip_ = "an on-path attacker needs the device pointed at its proxy, and a remote "
                     "device keeps the endpoint of its bundle";
      return MakeError(Errc::kUnsupported, remote_skip_);
    }
    std::optional<PowerCut> cut;
    for (auto& fault : faults) {
      OTASIM_CHECK(fault->Prepare(*env_));
      if (auto plan = fault->PowerCutPlan()) cut = plan;
    }
    config_["now"] = FormatRfc3339(device_now);
    OTASIM_CHECK(WriteConfig());

    const std::size_t first_exchange = env_->ExchangeCount();
    const std::size_t first_report = env_->ReportCount();
    StepObservation seen;
    seen.state_before = state_;
    const std::string heading = "step " + std::to_string(index) + " (" + spec.name + ")";
    nlohmann::json adapter_evidence;  // what the adapter read the outcome from, if it did
    if (spec.action == Action::kCheck) {
      target::CheckWatch watch;
      watch.reports = [this, first_report] { return env_->ReportsSince(first_report); };
      watch.exchanges = [this, first_exchange] { return env_->ExchangesSince(first_exchange); };
      OTASIM_TRY(target::VerbRun run, target_->Check(CheckDeadline(spec), cut, watch));
      // A device on the network keeps polling: offer nothing more until the next step, so that
      // it cannot install or report twice within this one.
      if (run_.profile->adapter == "remote") env_->BeginStep(index, nullptr, {}, device_now);
      AppendDeviceLog(evidence_ / "device.log", heading, run);
      seen.outcome = ClassifyCheck(run, cut.has_value());
      seen.outcome_detail = DescribeRun(run);
      if (run.outcome) adapter_evidence = {{"reason", run.reason}, {"evidence", run.evidence}};
      if (cut) {
        env_->timeline().Add("fault", "power-cut",
                             {{"stage", cut->stage}, {"percent", cut->percent},
                              {"happened", seen.outcome == Outcome::kPowerLost}});
        if (seen.outcome != Outcome::kPowerLost) {
          // The cut never happened, so this step cannot observe what it is about.
          return MakeError(Errc::kProtocol, "the planned power cut at " + cut->stage +
                                                " did not happen (device: " + seen.outcome_detail + ")");
        }
      }
    } else if (spec.action == Action::kBoot) {
      OTASIM_TRY(target::VerbRun run, target_->Boot());
      AppendDeviceLog(evidence_ / "device.log", heading, run);
      seen.outcome = run.process.exited && run.process.exit_code == 0   ? Outcome::kBooted
                     : run.process.exited && run.process.exit_code == 1 ? Outcome::kBricked
                                                                          : Outcome::kError;
      seen.outcome_detail = run.process.Describe();
    } else {
      seen.outcome = Outcome::kNoUpdate;
      seen.outcome_detail = "no action";
    }
    nlohmann::json observed = {{"step", index}, {"outcome", OutcomeName(seen.outcome)},
                               {"detail", seen.outcome_detail}};
    if (!adapter_evidence.is_null()) observed.update(adapter_evidence);
    env_->timeline().Add("device", step.action, observed);
    transport.Stop();  // the device has exited: proxies close their connections to the server
    if (Status idle = server_->WaitIdle(std::chrono::seconds(10)); !idle) {
      return idle.error().WithContext("waiting for the server to finish the step's responses");
    }
    for (const auto& attacker : attackers) {
      if (auto failure = attacker->failure()) return *failure;
    }
    OTASIM_TRY(state_, ObserveState("after step " + std::to_string(index)));
    seen.state_after = state_;
    seen.exchanges = env_->ExchangesSince(first_exchange);
    seen.reports = env_->ReportsSince(first_report);
    seen.device_identity = keys_->tls.psk_identity;
    step.checks = EvaluateExpectations(spec.expect, seen, env_->releases());
    env_->BeginStep(index, nullptr, {}, device_now);  // attackers die with this scope
    return {};
  }

  Status Skip(std::string reason) {
    skip_ = true;
    return MakeError(Errc::kUnsupported, std::move(reason));
  }

  void TearDown() {
    if (server_ && server_started_) server_->Stop();
    if (env_) env_->StopCapture();
    if (env_) {
      env_->timeline().Add("harness", "session-end", {{"verdict", scoring::VerdictName(result_.verdict)}});
      WriteEvidence();
    }
    if (!run_.keep_work) {
      std::error_code ec;
      std::filesystem::remove_all(work_, ec);
    }
    // A hook thread left stuck in an attacker still holds the session context: leaked on
    // purpose, so that thread never touches freed memory if it wakes up.
    if (hook_abandoned_) (void)env_.release();
  }

  void WriteEvidence() {
    nlohmann::json exchanges = nlohmann::json::array();
    for (const auto& e : env_->AllExchanges()) {
      exchanges.push_back({{"step", e.step}, {"protocol", e.protocol}, {"kind", e.kind},
                           {"method", e.method}, {"resource", e.resource}, {"status", e.status},
                           {"range_start", e.range_start}, {"bytes_sent", e.bytes_sent},
                           {"end", e.end}, {"client_identity", e.client_identity},
                           {"release", e.release}});
    }
    nlohmann::json reports = nlohmann::json::array();
    for (const auto& r : env_->AllReports()) {
      reports.push_back({{"step", r.step}, {"result", r.result}, {"reason", r.reason},
                         {"version", r.version}, {"sequence", r.sequence}, {"code", r.code},
                         {"raw", r.raw}});
    }
    nlohmann::json releases = nlohmann::json::object();
    for (const auto& [name, r] : env_->releases()) {
      releases[name] = {{"version", r.manifest.version}, {"sequence", r.manifest.sequence},
                        {"class_id", r.manifest.class_id}, {"digest", r.manifest.image.digest},
                        {"size", r.manifest.image.size}, {"expires", r.manifest.expires},
                        {"envelope", r.envelope}};
    }
    (void)WriteFileAtomic(evidence_ / "timeline.json", env_->timeline().Snapshot().dump(2));
    (void)WriteFileAtomic(evidence_ / "exchanges.json", exchanges.dump(2));
    (void)WriteFileAtomic(evidence_ / "status_reports.json", reports.dump(2));
    (void)WriteFileAtomic(evidence_ / "releases.json", releases.dump(2));
    if (!config_.is_null()) (void)WriteFileAtomic(evidence_ / "device_config.json", config_.dump(2));
    // What on-path attackers' proxies saw (attack.mitm, attack.strip-tls), if any ran.
    std::error_code copy_ec;
    if (std::filesystem::exists(work_ / "proxy.log", copy_ec)) {
      std::filesystem::copy_file(work_ / "proxy.log", evidence_ / "proxy.log",
                                 std::filesystem::copy_options::overwrite_existing, copy_ec);
    }
  }

  const RunContext& run_;
  const ScenarioSpec& spec_;
  const std::string protocol_;
  const std::string tag_;
  ScenarioResult result_;
  bool skip_ = false;
  std::string remote_skip_;  // a step a remote device cannot take part in
  std::filesystem::path evidence_;
  std::filesystem::path work_;
  SysTime start_time_{};
  std::unique_ptr<SessionKeys> keys_;
  std::string device_id_;
  std::unique_ptr<ScenarioTrust> trust_;
  std::unique_ptr<SessionEnvironment> env_;
  std::unique_ptr<UpdateServerModel> server_;
  bool server_started_ = false;
  std::string server_model_;
  std::unique_ptr<ReleaseFormat> format_;  // until the environment takes it
  std::unique_ptr<target::DeviceAdapter> target_;
  nlohmann::json config_;
  nlohmann::json state_;
  std::atomic<bool> hook_abandoned_{false};  // set from server threads too
};

}  // namespace

std::string BrokerUserFor(const std::string& session_tag) {
  return std::string(kDeviceId) + "-" + session_tag;
}

std::string EvidenceDir(const ScenarioSpec& spec, const std::string& protocol) {
  return "evidence/" + spec.id + "@" + protocol;
}

scoring::ScenarioResult RunSession(const RunContext& run, const ScenarioSpec& spec,
                                   const std::string& protocol, const std::string& tag) {
  try {
    return Session(run, spec, protocol, tag).Run();
  } catch (const std::exception& e) {
    ScenarioResult result;
    result.id = spec.id;
    result.title = spec.title;
    result.protocol = protocol;
    result.requirements = spec.requirements;
    result.verdict = Verdict::kError;
    result.reason = std::string("internal error: ") + e.what();
    return result;
  }
}

}  // namespace otasim::scenario
