// The otasim subcommands. Each returns the process exit code:
// 0 all pass, 1 findings, 2 bad usage or input, 3 harness error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/data_dirs.hpp"
#include "plugin_host/registry.hpp"

namespace otasim::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitHarness = 3;

struct CommonOptions {
  std::string data_dir;
  std::vector<std::string> plugin_dirs;
  bool quiet = false;
  bool verbose = false;
};

struct RunOptions {
  std::string target;
  std::vector<std::string> target_params;  // K=V
  std::string suite = "standard";
  std::vector<std::string> scenarios;      // ids or globs; empty: the suite's
  std::vector<std::string> protocols;      // empty: every protocol the target supports
  int jobs = 1;
  std::string out_dir = "out";
  std::uint64_t seed = 1;
  bool keep_work = false;
  // MQTT: an existing broker ("mqtts://user:pass@host:port") instead of a private Mosquitto,
  // and the CA its certificate chains to.
  std::string broker_url;
  std::string broker_ca_file;
  std::string shard;      // "i/n": run only that slice of the plan (docs/reports.md)
  std::string sign_key;   // PEM private key: sign the output directory (report.sig.json)
  std::string rerun_dir;  // repeat the run recorded in this directory's report.json
  bool jobs_given = false;  // -j was on the command line (a rerun keeps the recorded one otherwise)
  bool out_given = false;   // --out was on the command line (a rerun writes to DIR-rerun otherwise)
  // A device on the network (targets/PROTOCOL.md, "Remote devices").
  std::string listen;         // HOST:PORT every session's server binds to; forces -j 1
  std::string keys_dir;       // from `otasim keys generate`: fixed keys instead of fresh ones
  std::string remote_reset;   // shell command run before each scenario (template: {bundle_dir})
  std::string remote_bundle;  // where the provisioning bundle goes (default OUT/remote/bundle)
  std::vector<std::string> command_line;
};

struct MergeOptions {
  std::string out_dir;
  std::vector<std::string> shard_dirs;
  std::string sign_key;
  std::vector<std::string> command_line;
};

// `otasim keys generate`.
struct KeysOptions {
  std::string out_dir;
  bool force = false;
  std::vector<std::string> hosts;   // the server certificate's names; empty: localhost, 127.0.0.1
  std::string device_id = "dev-0001";  // the device identity's CN
};

// `otasim release build` (docs/device-makers.md).
struct ReleaseOptions {
  std::string format = "native";  // native | swu
  std::string image;
  std::string version;
  std::uint64_t sequence = 0;
  std::string class_id = "otasim-class-a";
  std::string expires;  // RFC 3339; empty: a year from now
  std::string keys_dir;
  std::string out;
  std::vector<std::string> params;  // K=V for the format (format.swu's slot_path, hardware, ...)
};

int RunCommand(const CommonOptions& common, const RunOptions& options);
int ListCommand(const CommonOptions& common, const std::string& what);
int DescribeCommand(const CommonOptions& common, const std::string& id);
int ValidateCommand(const CommonOptions& common, const std::vector<std::string>& files);
// 0 intact and signed by the pinned key, 1 tampered or signed by another key, 2 bad usage or
// no key pinned (docs/reports.md).
int VerifyReportCommand(const std::string& dir, const std::string& key_file);
// Exit codes as `run` (of the merged verdicts); 2 when the shards do not form one run.
int MergeCommand(const CommonOptions& common, const MergeOptions& options);
// 0 written, 2 bad options, the directory already holds keys (without `force`) or cannot be
// written.
int KeysGenerateCommand(const KeysOptions& options);
// 0 written, 2 bad options, unreadable keys or image, 3 a crypto failure.
int ReleaseBuildCommand(const ReleaseOptions& options);

// Shared set-up: data directories and a registry with built-ins and --plugin-dir plugins.
// Prints the error and returns false on failure.
bool LoadEnvironment(const CommonOptions& common, DataDirs& dirs, plugin_host::Registry& registry);

}  // namespace otasim::cli
