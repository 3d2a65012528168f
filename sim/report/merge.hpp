// Merging the reports of the shards of one run (`otasim run --shard i/n`) into the report the
// unsharded run would have written. Scoring is left to the caller, which owns the catalogue.
#pragma once

#include <filesystem>
#include <vector>

#include "otasim/result.hpp"
#include "report/report.hpp"

namespace otasim::report {

struct MergedRun {
  RunInfo info;  // from the shards; reproduce.shard is 1/1, timing spans the shards
  std::vector<scoring::ScenarioResult> scenarios;  // in full-plan order
  std::vector<std::filesystem::path> shard_dirs;   // of each scenario, for copying its evidence
};

// Reads every shard's report.json and checks that they are the shards 1..n of one run (equal
// reproduce records apart from the shard, each shard once, each session of the plan exactly
// once and in its own shard). kInvalidArgument naming the shard and what differs.
Result<MergedRun> CombineShards(const std::vector<std::filesystem::path>& shard_dirs);

// Copies each scenario's evidence directory from its shard into out_dir (replacing
// out_dir/evidence).
Status CopyEvidence(const MergedRun& run, const std::filesystem::path& out_dir);

}  // namespace otasim::report
