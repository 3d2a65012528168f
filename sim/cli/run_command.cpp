// `otasim run`: load everything, run the sessions, score, grade, write the reports.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <mutex>

#include "broker/broker_service.hpp"
#include "broker/broker_url.hpp"
#include "cli/commands.hpp"
#include "cli/progress_printer.hpp"
#include "cli/remote_options.hpp"
#include "cli/reproduce.hpp"
#include "otasim/crypto.hpp"
#include "otasim/files.hpp"
#include "otasim/time.hpp"
#include "otasim/version.hpp"
#include "report/report.hpp"
#include "report/signing.hpp"
#include "scenario/loader.hpp"
#include "scenario/runner.hpp"
#include "scoring/grading.hpp"
#include "target/contract_target.hpp"

namespace otasim::cli {

namespace {

// Ctrl-C (or SIGTERM) once: finish the running sessions, skip the rest, still write the
// reports. Twice: leave at once.
std::atomic<bool> g_cancel{false};

void OnInterrupt(int) {
  if (g_cancel.exchange(true)) _exit(130);
  const char message[] = "\notasim: interrupted; finishing running sessions (again to quit now)\n";
  (void)!write(STDERR_FILENO, message, sizeof message - 1);
}

void InstallInterruptHandler() {
  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

// The sessions finished so far, rewritten after each one: a run that dies (an in-process
// attacker plugin that crashes) keeps them. Removed once the full reports are written.
constexpr const char* kPartialReportFile = "report.partial.json";

void WritePartialReport(report::RunReport& partial, const scoring::ScenarioResult& finished,
                        const std::filesystem::path& out_dir) {
  partial.scenarios.push_back(finished);
  std::string text;
  try {
    text = report::ToJson(partial).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  } catch (const std::exception& e) {
    std::cerr << "otasim: warning: rendering " << kPartialReportFile << ": " << e.what() << "\n";
    return;
  }
  if (Status written = WriteFileAtomic(out_dir / kPartialReportFile, text); !written) {
    std::cerr << "otasim: warning: " << written.error().message() << "\n";
  }
}

int BadInput(const std::string& message) {
  std::cerr << "otasim: " << message << "\n";
  return kExitBadInput;
}

Result<std::filesystem::path> FindSuite(const std::string& name_or_path, const DataDirs& dirs) {
  std::error_code ec;
  if (name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".yaml")) {
    if (std::filesystem::is_regular_file(name_or_path, ec)) return std::filesystem::path(name_or_path);
    return MakeError(Errc::kNotFound, "suite file " + name_or_path + " does not exist");
  }
  auto path = dirs.suites() / (name_or_path + ".yaml");
  if (std::filesystem::is_regular_file(path, ec)) return path;
  std::string known;
  for (const auto& entry : std::filesystem::directory_iterator(dirs.suites(), ec)) {
    known += (known.empty() ? "" : ", ") + entry.path().stem().string();
  }
  return MakeError(Errc::kNotFound, "unknown suite '" + name_or_path + "'; known: " + known);
}

Result<std::map<std::string, std::string>> ParseKeyValues(const std::vector<std::string>& items) {
  std::map<std::string, std::string> values;
  for (const auto& item : items) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return MakeError(Errc::kInvalidArgument, "--target-param '" + item + "' is not K=V");
    }
    values[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return values;
}

// A --scenario that ends in .yaml names a scenario file, which may live outside the library
// (a plugin's own scenarios); anything else is a library id or glob.
bool IsScenarioFile(const std::string& selector) {
  return selector.ends_with(".yaml") || selector.ends_with(".yml");
}

// --scenario file arguments made absolute, so that the reproduce record (--rerun) finds them
// from any working directory.
std::vector<std::string> AbsoluteScenarioFiles(const std::vector<std::string>& selectors) {
  std::vector<std::string> result;
  for (const auto& selector : selectors) {
    std::error_code ec;
    const auto absolute = std::filesystem::absolute(selector, ec);
    result.push_back(IsScenarioFile(selector) && !ec ? absolute.lexically_normal().string() : selector);
  }
  return result;
}

Result<std::vector<scenario::ScenarioSpec>> SelectScenarios(
    const std::vector<scenario::ScenarioSpec>& library, const std::vector<std::string>& selectors,
    const scenario::ValidationContext& ctx) {
  scenario::SuiteSpec adhoc;
  adhoc.name = "adhoc";
  adhoc.file = "--scenario";
  std::vector<scenario::ScenarioSpec> files;
  for (const auto& selector : selectors) {
    if (!IsScenarioFile(selector)) {
      adhoc.scenarios.push_back(selector);
      continue;
    }
    std::error_code ec;
    if (!std::filesystem::is_regular_file(selector, ec)) {
      return MakeError(Errc::kNotFound, "--scenario: scenario file " + selector + " does not exist");
    }
    OTASIM_TRY(scenario::ScenarioSpec spec, scenario::LoadScenario(selector, ctx));
    files.push_back(std::move(spec));
  }
  std::vector<scenario::ScenarioSpec> chosen;
  if (!adhoc.scenarios.empty()) {
    OTASIM_TRY(chosen, scenario::ResolveSuite(adhoc, library));
  }
  for (auto& spec : files) {
    // Ids name evidence directories and report rows: two scenarios must not share one.
    const auto same_id = std::find_if(chosen.begin(), chosen.end(),
                                      [&](const auto& other) { return other.id == spec.id; });
    if (same_id == chosen.end()) {
      chosen.push_back(std::move(spec));
      continue;
    }
    std::error_code ec;
    if (!std::filesystem::equivalent(same_id->file, spec.file, ec)) {
      return MakeError(Errc::kInvalidArgument, "--scenario: " + spec.file.string() + " has id '" +
                                                   spec.id + "', which " + same_id->file.string() +
                                                   " has too");
    }
  }
  return chosen;
}

// One broker for the whole run, started only when some session runs over MQTT. It must be
// started from the main thread: Mosquitto dies with the thread that started it.
Result<std::unique_ptr<broker::BrokerService>> StartBroker(const RunOptions& options,
                                                           const std::vector<scenario::PlannedSession>& plan,
                                                           const std::filesystem::path& work_root) {
  broker::BrokerServiceOptions broker_options;
  broker_options.dir = work_root / "broker";
  for (const auto& session : plan) {
    if (session.protocol == "mqtt") broker_options.device_users.push_back(scenario::BrokerUserFor(session.tag));
  }
  if (broker_options.device_users.empty()) return std::unique_ptr<broker::BrokerService>();
  if (!options.broker_url.empty()) {
    broker_options.external = broker::ExternalBroker{options.broker_url, options.broker_ca_file};
  }
  return broker::BrokerService::Start(broker_options);
}

int ExitCode(const std::vector<scoring::ScenarioResult>& results) {
  bool findings = false, errors = false;
  for (const auto& r : results) {
    if (r.verdict == scoring::Verdict::kFail || r.verdict == scoring::Verdict::kXpass) findings = true;
    if (r.verdict == scoring::Verdict::kError) errors = true;
  }
  return findings ? kExitFindings : errors ? kExitHarness : kExitOk;
}

nlohmann::json ParamsJson(const Params& params) {
  nlohmann::json values = nlohmann::json::object();
  for (const auto& [key, value] : params.values()) values[key] = value;
  return values;
}

// The run itself; `recorded` is the record of the run being repeated (--rerun), if any.
int RunResolved(const CommonOptions& common, const RunOptions& options,
                const report::ReproduceRecord* recorded) {
  if (options.target.empty()) return BadInput("run: --target is required (or --rerun DIR)");
  report::ShardSpec shard;
  if (!options.shard.empty()) {
    auto parsed = report::ParseShard(options.shard);
    if (!parsed) return BadInput(parsed.error().message());
    shard = *parsed;
  }
  std::optional<crypto::PrivateKey> sign_key;
  if (!options.sign_key.empty()) {
    auto key = crypto::PrivateKey::LoadPem(options.sign_key);
    if (!key) {
      return BadInput("--sign-key " + options.sign_key + " is not a PEM private key: " + key.error().message());
    }
    sign_key = std::move(*key);
  }
  DataDirs dirs;
  plugin_host::Registry registry;
  if (!LoadEnvironment(common, dirs, registry)) return kExitBadInput;

  auto catalogue = scoring::LoadCatalogue(dirs.catalogue());
  if (!catalogue) return BadInput(catalogue.error().message());
  auto suite_path = FindSuite(options.suite, dirs);
  if (!suite_path) return BadInput(suite_path.error().message());
  auto suite = scenario::LoadSuite(*suite_path);
  if (!suite) return BadInput(suite.error().message());
  auto grading = scoring::LoadGradingProfile(dirs.grading_profiles() / (suite->grading + ".yaml"), *catalogue);
  if (!grading) return BadInput(grading.error().message());

  scenario::ValidationContext ctx{&registry, &*catalogue, dirs.library()};
  auto library = scenario::LoadLibrary(ctx);
  if (!library) return BadInput(library.error().message());
  std::vector<scenario::ScenarioSpec> chosen;
  if (options.scenarios.empty()) {
    auto resolved = scenario::ResolveSuite(*suite, *library);
    if (!resolved) return BadInput(resolved.error().message());
    chosen = std::move(*resolved);
  } else {
    auto selected = SelectScenarios(*library, options.scenarios, ctx);
    if (!selected) return BadInput(selected.error().message());
    chosen = std::move(*selected);
  }

  auto profile_path = target::FindTargetProfile(options.target, dirs.target_profiles());
  if (!profile_path) return BadInput(profile_path.error().message());
  auto profile = target::LoadTargetProfile(*profile_path);
  if (!profile) return BadInput(profile.error().message());
  auto raw_params = ParseKeyValues(options.target_params);
  if (!raw_params) return BadInput(raw_params.error().message());
  auto params = Params::Bind(profile->params, *raw_params, "target " + profile->name);
  if (!params) return BadInput(params.error().message());

  std::vector<std::string> protocols = options.protocols;
  if (protocols.empty()) protocols = profile->protocols;
  for (const auto& p : protocols) {
    if (p != "http" && p != "coap" && p != "mqtt") return BadInput("unknown protocol '" + p + "'");
    if (!profile->SupportsProtocol(p)) {
      return BadInput("target '" + profile->name + "' does not support protocol " + p);
    }
  }

  std::error_code ec;
  const std::filesystem::path out_dir = std::filesystem::absolute(options.out_dir, ec);
  std::filesystem::remove_all(out_dir / "evidence", ec);
  std::filesystem::remove(out_dir / report::kSignatureFile, ec);  // from an earlier run
  std::filesystem::remove(out_dir / kPartialReportFile, ec);
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return BadInput("cannot create " + out_dir.string() + ": " + ec.message());
  std::string work_template = (std::filesystem::temp_directory_path() / "otasim-run-XXXXXX").string();
  if (mkdtemp(work_template.data()) == nullptr) {
    std::cerr << "otasim: cannot create a temporary directory\n";
    return kExitHarness;
  }

  scenario::RunContext run;
  run.registry = &registry;
  run.profile = &*profile;
  run.target_values = target::TemplateValues(*profile, *params, dirs.bin_dir);
  run.out_dir = out_dir;
  run.work_root = work_template;
  run.seed = options.seed;
  run.keep_work = options.keep_work;
  if (Status remote = ApplyRemoteOptions(options, *profile, protocols, run); !remote) {
    std::filesystem::remove_all(work_template, ec);
    return BadInput(remote.error().message());
  }
  // One port, one device: sessions against a device on the network run one at a time.
  const int jobs = run.listen_host.empty() ? options.jobs : 1;

  if (!options.broker_url.empty()) {
    if (auto url = broker::ParseBrokerUrl(options.broker_url); !url) {
      return BadInput("--broker: " + url.error().message());
    }
  }
  const auto full_plan = scenario::PlanSessions(chosen, protocols);
  if (full_plan.empty()) return BadInput("no scenario applies to the chosen protocols");
  std::vector<scenario::PlannedSession> plan;  // this shard's slice; tags stay the full plan's
  for (std::size_t k = 0; k < full_plan.size(); ++k) {
    if (shard.Contains(k)) plan.push_back(full_plan[k]);
  }

  RunInputs inputs{&dirs, &registry, &*profile, ParamsJson(*params), &*suite,
                   dirs.grading_profiles() / (suite->grading + ".yaml"), grading->name, &chosen,
                   protocols, &full_plan};
  RunOptions recorded_options = options;
  recorded_options.scenarios = AbsoluteScenarioFiles(options.scenarios);
  auto record = BuildReproduceRecord(common, recorded_options, inputs);
  if (!record) {
    std::filesystem::remove_all(work_template, ec);
    return BadInput(record.error().message());
  }
  if (recorded != nullptr) {
    // The run is repeated anyway: the warnings say why its verdicts may differ.
    for (const auto& change : report::CompareRecords(*recorded, *record)) {
      std::cerr << "otasim: warning: --rerun: " << change << "\n";
    }
  }

  InstallInterruptHandler();  // before the broker starts, so that Ctrl-C always stops it
  auto broker = StartBroker(options, plan, work_template);
  if (!broker) {
    std::cerr << "otasim: MQTT broker: " << broker.error().message() << "\n";
    std::filesystem::remove_all(work_template, ec);
    return kExitHarness;
  }
  if (*broker) {
    broker::BrokerService* service = broker->get();
    run.broker_for = [service](const std::string& user) { return service->ForSession(user); };
    run.broker_ca_pem = service->ca_pem();
  }
  const std::string started = FormatRfc3339(std::chrono::floor<std::chrono::seconds>(NowUtc()));
  const auto t0 = std::chrono::steady_clock::now();
  ProgressPrinter printer(isatty(STDERR_FILENO) != 0, common.quiet, common.verbose);
  if (!common.quiet) {
    std::cout << "otasim " << OTASIM_VERSION_STRING << ": " << plan.size() << " session(s)"
              << (shard.count > 1 ? " (shard " + report::ShardText(shard) + " of " +
                                        std::to_string(full_plan.size()) + ")"
                                  : std::string())
              << " of suite '"
              << suite->name << "' against target '" << profile->name << "' (" << jobs
              << " in parallel, seed " << options.seed << ")" << std::endl;
  }
  report::RunReport partial;  // scenarios in the order they finished; no grade yet
  partial.info.otasim_version = OTASIM_VERSION_STRING;
  partial.info.suite = options.scenarios.empty() ? suite->name : "adhoc";
  partial.info.target = profile->name;
  partial.info.seed = options.seed;
  partial.info.jobs = jobs;
  partial.info.started = started;
  partial.info.command_line = options.command_line;
  auto results = scenario::RunSessions(
      run, plan, jobs,
      [&](const scenario::Progress& p) {
        printer.Update(p);
        if (p.finished != nullptr) WritePartialReport(partial, *p.finished, out_dir);
      },
      &g_cancel);
  printer.Finish();
  if (*broker) {
    if (Status stopped = (*broker)->Stop(); !stopped) {
      std::cerr << "otasim: stopping the MQTT broker: " << stopped.error().message() << "\n";
    }
  }
  if (!options.keep_work) std::filesystem::remove_all(work_template, ec);

  report::RunReport rep;
  rep.info.otasim_version = OTASIM_VERSION_STRING;
  rep.info.suite = options.scenarios.empty() ? suite->name : "adhoc";
  rep.info.target = profile->name;
  for (const auto& [k, v] : params->values()) rep.info.target_params[k] = v;
  rep.info.grading_profile = grading->name;
  rep.info.protocols = protocols;
  rep.info.seed = options.seed;
  rep.info.jobs = jobs;
  rep.info.started = started;
  rep.info.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - t0).count();
  rep.info.command_line = options.command_line;
  rep.info.reproduce = std::move(*record);
  rep.scenarios = results;
  rep.requirements = scoring::ScoreRequirements(*catalogue, results);
  rep.grade = scoring::Grade(*grading, rep.requirements);
  rep.catalogue = &*catalogue;
  if (Status written = report::WriteReports(rep, out_dir); !written) {
    std::cerr << "otasim: writing reports: " << written.error().message() << "\n";
    return kExitHarness;
  }
  std::filesystem::remove(out_dir / kPartialReportFile, ec);
  if (sign_key) {
    if (Status signed_ok = report::SignOutputDir(out_dir, *sign_key); !signed_ok) {
      std::cerr << "otasim: signing the reports: " << signed_ok.error().message() << "\n";
      return kExitHarness;
    }
  }
  printer.Summary(rep, out_dir);
  if (g_cancel.load()) return kExitHarness;  // an interrupted run proves nothing
  return ExitCode(results);
}

}  // namespace

int RunCommand(const CommonOptions& common, const RunOptions& options) {
  if (options.rerun_dir.empty()) return RunResolved(common, options, nullptr);
  report::ReproduceRecord recorded;
  auto rerun = RerunOptions(common, options, &recorded);
  if (!rerun) return BadInput(rerun.error().message());
  return RunResolved(rerun->first, rerun->second, &recorded);
}

}  // namespace otasim::cli
