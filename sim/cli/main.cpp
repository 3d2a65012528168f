// otasim: drives a device's over-the-air update through attack scenarios and grades it.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.hpp"
#include "otasim/version.hpp"

int main(int argc, char** argv) {
  using namespace otasim::cli;
  CLI::App app{"otasim " OTASIM_VERSION_STRING
               " — tests how securely a device updates its firmware over the air"};
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand
  app.set_version_flag("--version", OTASIM_VERSION_STRING);
  CommonOptions common;
  app.add_option("--data-dir", common.data_dir, "Directory holding scenarios/ and targets/");
  app.add_option("--plugin-dir", common.plugin_dirs, "Load every *.so plugin of this directory")
      ->type_name("DIR");
  app.add_flag("-q,--quiet", common.quiet, "Print only the summary");
  app.add_flag("-v,--verbose", common.verbose, "Print every failed check");

  RunOptions run;
  auto* run_cmd = app.add_subcommand("run", "Run a suite or scenarios against a target");
  run_cmd->add_option("--target", run.target, "Target profile name or file (required unless --rerun)");
  run_cmd->add_option("--target-param", run.target_params, "Target parameter K=V (repeatable)")
      ->type_name("K=V");
  run_cmd->add_option("--suite", run.suite, "Suite name or file")->capture_default_str();
  run_cmd->add_option("--scenario", run.scenarios, "Scenario id, glob or .yaml file (repeatable)")
      ->type_name("ID");
  run_cmd->add_option("--protocol", run.protocols, "Protocols, comma-separated (default: all the target supports)")
      ->delimiter(',')->type_name("LIST");
  auto* jobs_opt = run_cmd->add_option("-j,--jobs", run.jobs, "Sessions in parallel")->check(CLI::Range(1, 64))->capture_default_str();
  auto* out_opt = run_cmd->add_option("--out", run.out_dir, "Output directory for reports and evidence")->capture_default_str();
  run_cmd->add_option("--seed", run.seed, "Seed of every random choice")->capture_default_str();
  run_cmd->add_flag("--keep-work", run.keep_work, "Keep each session's private directory");
  run_cmd->add_option("--broker", run.broker_url,
                      "MQTT: use this broker (mqtt[s]://USER:PASS@HOST:PORT) instead of a private Mosquitto")
      ->type_name("URL");
  run_cmd->add_option("--broker-ca", run.broker_ca_file, "MQTT: CA file of the --broker's certificate")
      ->type_name("FILE");
  run_cmd->add_option("--shard", run.shard, "Run only slice i of n of the plan (session k goes to shard k mod n + 1)")
      ->type_name("I/N");
  run_cmd->add_option("--sign-key", run.sign_key, "Sign the output directory with this Ed25519 private key (PEM)")
      ->type_name("KEY.pem");
  run_cmd->add_option("--listen", run.listen,
                      "Serve a device on the network at this IP address of this machine (forces -j 1)")
      ->type_name("HOST:PORT");
  run_cmd->add_option("--keys", run.keys_dir, "Use these keys (`otasim keys generate`) instead of fresh ones per session")
      ->type_name("DIR");
  run_cmd->add_option("--remote-reset", run.remote_reset,
                      "Remote device: shell command run before each scenario ({bundle_dir}, {config_file}, {scenario})")
      ->type_name("CMD");
  run_cmd->add_option("--remote-bundle", run.remote_bundle,
                      "Remote device: write its provisioning bundle here (default OUT/remote/bundle)")
      ->type_name("DIR");
  auto* rerun_opt = run_cmd->add_option("--rerun", run.rerun_dir,
                                        "Repeat the run recorded in DIR/report.json (output: --out or DIR-rerun)")
      ->type_name("DIR");
  for (const char* name : {"--target", "--target-param", "--suite", "--scenario", "--protocol", "--seed", "--shard"}) {
    rerun_opt->excludes(run_cmd->get_option(name));
  }

  std::string verify_dir, verify_key;
  auto* verify_cmd = app.add_subcommand("verify-report", "Check a signed output directory against its report.sig.json");
  verify_cmd->add_option("dir", verify_dir, "Output directory of a signed run")->required();
  verify_cmd->add_option("--key", verify_key, "The signer's public key (PEM) to trust")->type_name("PUB.pem");

  MergeOptions merge;
  auto* merge_cmd = app.add_subcommand("merge", "Merge the output directories of the shards of one run");
  merge_cmd->add_option("--out", merge.out_dir, "Output directory of the merged report")->required();
  merge_cmd->add_option("--sign-key", merge.sign_key, "Sign the merged output with this private key (PEM)")
      ->type_name("KEY.pem");
  merge_cmd->add_option("shards", merge.shard_dirs, "Output directories of the shards")->required();

  KeysOptions keys;
  auto* keys_cmd = app.add_subcommand("keys", "Device-maker key material");
  keys_cmd->require_subcommand(1);
  auto* keys_generate = keys_cmd->add_subcommand(
      "generate", "Manifest key, code-signing identity and TLS certificates into a directory");
  keys_generate->add_option("--out", keys.out_dir, "Directory to write the keys to")->required();
  keys_generate->add_flag("--force", keys.force, "Overwrite keys already there");
  keys_generate->add_option("--host", keys.hosts,
                            "A name or IP address the server certificate names; repeatable "
                            "(default: localhost and 127.0.0.1)")
      ->type_name("HOST");
  keys_generate->add_option("--device-id", keys.device_id, "The device identity's id (certificate CN)")
      ->capture_default_str();

  ReleaseOptions release;
  auto* release_cmd = app.add_subcommand("release", "Device-maker releases");
  release_cmd->require_subcommand(1);
  auto* release_build = release_cmd->add_subcommand("build", "A signed release from an image file");
  release_build->add_option("--format", release.format, "native (manifest + image) or swu (SWUpdate)")
      ->check(CLI::IsMember({"native", "swu"}));
  release_build->add_option("--image", release.image, "The firmware image")->required()->check(CLI::ExistingFile);
  release_build->add_option("--version", release.version, "Release version (semver)")->required();
  release_build->add_option("--sequence", release.sequence, "Anti-rollback sequence number")->required();
  release_build->add_option("--class", release.class_id, "Device class id");
  release_build->add_option("--expires", release.expires, "Expiry, RFC 3339 (default: a year from now)");
  release_build->add_option("--keys", release.keys_dir, "Directory from `otasim keys generate`")->required();
  release_build->add_option("--out", release.out, "NAME.manifest.json (native) or NAME.swu (swu)")->required();
  release_build->add_option("--param", release.params, "Format parameter K=V (swu: slot_path, hardware, handler, image_name)");

  std::string what;
  auto* list_cmd = app.add_subcommand("list", "List scenarios, suites, plugins, requirements or targets");
  list_cmd->add_option("what", what, "scenarios|suites|plugins|requirements|targets")
      ->required()->check(CLI::IsMember({"scenarios", "suites", "plugins", "requirements", "targets"}));

  std::string id;
  auto* describe_cmd = app.add_subcommand("describe", "Describe a plugin, scenario, requirement or target");
  describe_cmd->add_option("id", id, "Plugin id, scenario id, requirement id or target name")->required();

  std::vector<std::string> files;
  auto* validate_cmd = app.add_subcommand("validate", "Check scenario, suite, profile and catalogue files");
  validate_cmd->add_option("files", files, "Files to check")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitBadInput;
  }
  if (*run_cmd) {
    run.command_line.assign(argv, argv + argc);
    run.jobs_given = jobs_opt->count() > 0;
    run.out_given = out_opt->count() > 0;
    return RunCommand(common, run);
  }
  if (*list_cmd) return ListCommand(common, what);
  if (*describe_cmd) return DescribeCommand(common, id);
  if (*validate_cmd) return ValidateCommand(common, files);
  if (*verify_cmd) return VerifyReportCommand(verify_dir, verify_key);
  if (*keys_generate) return KeysGenerateCommand(keys);
  if (*release_build) return ReleaseBuildCommand(release);
  if (*merge_cmd) {
    merge.command_line.assign(argv, argv + argc);
    return MergeCommand(common, merge);
  }
  return kExitBadInput;
}
