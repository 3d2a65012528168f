// The reproducibility record of a run (report.json's `reproduce` object): everything needed
// to repeat the run (`otasim run --rerun DIR`) and to tell whether its inputs changed since,
// and what `otasim merge` compares to decide that shards belong to one run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "otasim/result.hpp"

namespace otasim::report {

// A data file the run read, with the SHA-256 of its bytes at the time.
struct FileRecord {
  std::string name;    // "reference", "standard", "rollback/signed-older"
  std::string path;    // as found on the machine that ran
  std::string sha256;  // lower-case hex
};

struct PluginRecord {
  std::string id;       // the OTASIM_PLUGIN id
  std::string version;
  std::string origin;   // "builtin" or the .so path
  std::string sha256;   // of the .so; empty for built-ins
  std::vector<std::string> types;  // the types the plan uses: "attack.tamper 1.0.0", sorted
};

// Session k (0-based position in the full plan) belongs to shard (k mod count) + 1.
struct ShardSpec {
  int index = 1;  // 1-based
  int count = 1;
  bool Contains(std::size_t plan_position) const {
    return static_cast<int>(plan_position % static_cast<std::size_t>(count)) == index - 1;
  }
};
// "i/n" with 1 <= i <= n; the error names what is wrong.
Result<ShardSpec> ParseShard(const std::string& text);
std::string ShardText(const ShardSpec& shard);  // "i/n"

// A run against a device on the network (targets/PROTOCOL.md "Remote devices"): the options
// that a rerun must repeat for the device to find and trust the server. Empty when not given.
struct RemoteRecord {
  std::string listen;    // --listen HOST:PORT
  std::string keys;      // --keys DIR, absolute
  std::string reset;     // --remote-reset CMD
  std::string bundle;    // --remote-bundle DIR, absolute
};

struct ReproduceRecord {
  std::string otasim_version;
  std::string abi;                // "major.minor"
  std::string build_fingerprint;
  std::uint64_t seed = 0;
  int jobs = 1;
  std::vector<std::string> protocols;
  FileRecord target;              // the target profile
  nlohmann::json target_params = nlohmann::json::object();
  FileRecord suite;
  std::vector<std::string> selection;  // the --scenario patterns; empty: the suite's
  std::vector<FileRecord> scenarios;   // every scenario of the full plan, in plan order
  std::vector<std::string> plan;       // every session of the full plan: "id@protocol"
  FileRecord grading_profile;
  FileRecord catalogue;
  std::vector<PluginRecord> plugins;   // the plugins whose types the plan uses, sorted by id
  std::string data_dir;
  std::vector<std::string> plugin_dirs;
  ShardSpec shard;
  RemoteRecord remote;
  std::vector<std::string> command_line;
};

nlohmann::json ToJson(const ReproduceRecord& record);
// `where` names the source in errors ("out/report.json").
Result<ReproduceRecord> ReproduceFromJson(const nlohmann::json& json, const std::string& where);

// What makes two records describe different runs, one line each ("seed: 1 vs 2",
// "scenario rollback/signed-older: sha256 ab12.. vs cd34.."). Ignores what may differ between
// machines or invocations without changing any verdict: paths, jobs, the command line, the
// shard. Empty when the runs are the same. The labels name the two sides in the messages.
std::vector<std::string> CompareRecords(const ReproduceRecord& recorded,
                                        const ReproduceRecord& current,
                                        const std::string& recorded_label = "recorded",
                                        const std::string& current_label = "now");

}  // namespace otasim::report
