#include "cli/reproduce.hpp"

#include <map>
#include <set>
#include <system_error>

#include "otasim/crypto.hpp"
#include "otasim/version.hpp"
#include "report/report_reader.hpp"

namespace otasim::cli {
namespace {

namespace fs = std::filesystem;

std::string Absolute(const fs::path& path) {
  std::error_code ec;
  const fs::path absolute = fs::absolute(path, ec);
  return (ec ? path : absolute).lexically_normal().string();
}

// The plugins whose types the plan uses: each protocol's server model and every attacker or
// fault a step names. One record per plugin (a plugin may register several types).
std::vector<report::PluginRecord> PluginsUsed(const RunInputs& inputs) {
  std::set<std::string> type_ids;
  for (const auto& session : *inputs.plan) {
    type_ids.insert(scenario::ServerModelFor(session.protocol));
    for (const auto& step : session.scenario->steps) {
      for (const auto& attack : step.attacks) type_ids.insert(attack.id);
    }
  }
  std::map<std::string, report::PluginRecord> plugins;
  for (const auto& id : type_ids) {
    const auto* type = inputs.registry->Find(id);
    if (type == nullptr) continue;  // the loader has refused unknown ids already
    const auto& origin = type->origin;
    auto& plugin = plugins[origin.plugin_id];
    plugin.id = origin.plugin_id;
    plugin.version = origin.plugin_version;
    plugin.origin = origin.path;
    plugin.sha256 = origin.sha256;
    plugin.types.push_back(type->info.id + " " + type->info.version);  // type_ids is sorted
  }
  std::vector<report::PluginRecord> list;
  for (auto& [id, plugin] : plugins) list.push_back(std::move(plugin));
  return list;
}

}  // namespace

Result<report::ReproduceRecord> BuildReproduceRecord(const CommonOptions& common,
                                                     const RunOptions& options,
                                                     const RunInputs& inputs) {
  report::ReproduceRecord record;
  record.otasim_version = OTASIM_VERSION_STRING;
  record.abi = std::to_string(OTASIM_ABI_MAJOR) + "." + std::to_string(OTASIM_ABI_MINOR);
  record.build_fingerprint = OTASIM_BUILD_FINGERPRINT;
  record.seed = options.seed;
  record.jobs = options.jobs;
  record.target = {inputs.profile->name, Absolute(inputs.profile->file), inputs.profile->sha256};
  record.target_params = inputs.target_params;
  record.suite = {inputs.suite->name, Absolute(inputs.suite->file), inputs.suite->sha256};
  record.selection = options.scenarios;
  for (const auto& spec : *inputs.scenarios) {
    record.scenarios.push_back({spec.id, Absolute(spec.file), spec.sha256});
  }
  record.protocols = inputs.protocols;
  for (const auto& session : *inputs.plan) {
    record.plan.push_back(session.scenario->id + "@" + session.protocol);
  }
  OTASIM_TRY(std::string grading_sha, crypto::Sha256FileHex(inputs.grading_profile_file));
  record.grading_profile = {inputs.grading_profile_name, Absolute(inputs.grading_profile_file), grading_sha};
  OTASIM_TRY(std::string catalogue_sha, crypto::Sha256FileHex(inputs.dirs->catalogue()));
  record.catalogue = {"requirements", Absolute(inputs.dirs->catalogue()), catalogue_sha};
  record.plugins = PluginsUsed(inputs);
  record.data_dir = Absolute(inputs.dirs->root);
  for (const auto& dir : common.plugin_dirs) record.plugin_dirs.push_back(Absolute(dir));
  if (!options.shard.empty()) {
    OTASIM_TRY(record.shard, report::ParseShard(options.shard));
  }
  record.remote = {options.listen, options.keys_dir.empty() ? "" : Absolute(options.keys_dir),
                   options.remote_reset,
                   options.remote_bundle.empty() ? "" : Absolute(options.remote_bundle)};
  record.command_line = options.command_line;
  return record;
}

Result<std::pair<CommonOptions, RunOptions>> RerunOptions(const CommonOptions& common,
                                                          const RunOptions& options,
                                                          report::ReproduceRecord* recorded) {
  auto loaded = report::ReadReport(options.rerun_dir);
  if (!loaded) return loaded.error().WithContext("--rerun");
  *recorded = *loaded->info.reproduce;
  const report::ReproduceRecord& r = *recorded;

  std::error_code ec;
  CommonOptions new_common = common;
  if (new_common.data_dir.empty() && fs::is_directory(r.data_dir, ec)) new_common.data_dir = r.data_dir;
  if (new_common.plugin_dirs.empty()) new_common.plugin_dirs = r.plugin_dirs;

  RunOptions run;
  // The recorded files where they still exist (the same checkout), else the names.
  run.target = fs::is_regular_file(r.target.path, ec) ? r.target.path : r.target.name;
  for (const auto& [key, value] : r.target_params.items()) {
    run.target_params.push_back(key + "=" + (value.is_string() ? value.get<std::string>() : value.dump()));
  }
  run.suite = fs::is_regular_file(r.suite.path, ec) ? r.suite.path : r.suite.name;
  run.scenarios = r.selection;
  run.protocols = r.protocols;
  run.seed = r.seed;
  run.jobs = options.jobs_given ? options.jobs : r.jobs;
  if (r.shard.count > 1) run.shard = report::ShardText(r.shard);
  run.out_dir = options.out_dir;
  if (!options.out_given) {  // "out/" -> "out-rerun", not "out/-rerun"
    fs::path dir = fs::path(options.rerun_dir).lexically_normal();
    if (dir.filename().empty()) dir = dir.parent_path();
    run.out_dir = dir.string() + "-rerun";
  }
  if (Absolute(run.out_dir) == Absolute(options.rerun_dir)) {
    return MakeError(Errc::kInvalidArgument,
                     "--rerun: --out must not be the recorded run's own directory " + options.rerun_dir);
  }
  // A device on the network: where it polls, what it trusts and how it is reset, unless given
  // anew (the device may have moved).
  run.listen = options.listen.empty() ? r.remote.listen : options.listen;
  run.keys_dir = options.keys_dir.empty() ? r.remote.keys : options.keys_dir;
  run.remote_reset = options.remote_reset.empty() ? r.remote.reset : options.remote_reset;
  run.remote_bundle = options.remote_bundle.empty() ? r.remote.bundle : options.remote_bundle;
  run.keep_work = options.keep_work;
  run.broker_url = options.broker_url;
  run.broker_ca_file = options.broker_ca_file;
  run.sign_key = options.sign_key;
  run.command_line = options.command_line;
  return std::make_pair(std::move(new_common), std::move(run));
}

}  // namespace otasim::cli
