#include "report/merge.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <system_error>

#include "report/report_reader.hpp"

namespace otasim::report {
namespace {

namespace fs = std::filesystem;

Error Refuse(const std::string& message) { return MakeError(Errc::kInvalidArgument, message); }

// "evidence/<id>@<protocol>" with no way out of the output directory.
bool IsSafeEvidencePath(const std::string& relative) {
  const fs::path path(relative);
  if (path.is_absolute() || path.empty() || *path.begin() != "evidence") return false;
  return std::none_of(path.begin(), path.end(), [](const fs::path& part) { return part == ".."; });
}

}  // namespace

Result<MergedRun> CombineShards(const std::vector<fs::path>& shard_dirs) {
  if (shard_dirs.empty()) return Refuse("no shard directories given");
  std::vector<LoadedReport> shards;
  for (const auto& dir : shard_dirs) {
    auto loaded = ReadReport(dir);
    if (!loaded) return loaded.error();
    shards.push_back(std::move(*loaded));
  }

  const ReproduceRecord& first = *shards.front().info.reproduce;
  const int count = first.shard.count;
  std::map<int, std::size_t> by_index;  // shard index -> position in shard_dirs
  for (std::size_t i = 0; i < shards.size(); ++i) {
    const ReproduceRecord& record = *shards[i].info.reproduce;
    const std::string name = shard_dirs[i].string() + " (shard " + ShardText(record.shard) + ")";
    if (record.shard.count != count) {
      return Refuse(name + " is not a shard of the same split as " + shard_dirs[0].string() +
                    " (shard " + ShardText(first.shard) + ")");
    }
    if (auto [it, added] = by_index.emplace(record.shard.index, i); !added) {
      return Refuse(name + " and " + shard_dirs[it->second].string() + " are the same shard");
    }
    const auto differences = CompareRecords(first, record, "in " + shard_dirs[0].string(),
                                            "in " + shard_dirs[i].string());
    if (!differences.empty()) {
      std::string text;
      for (const auto& d : differences) text += "\n  " + d;
      return Refuse(name + " is not from the same run as " + shard_dirs[0].string() + ":" + text);
    }
  }
  std::string absent;
  for (int index = 1; index <= count; ++index) {
    if (!by_index.contains(index)) absent += (absent.empty() ? "" : ", ") + std::to_string(index);
  }
  if (!absent.empty()) {
    return Refuse("shard(s) " + absent + " of " + std::to_string(count) + " are missing");
  }

  // Place every session at its position in the full plan, checking it belongs to its shard.
  std::map<std::string, std::size_t> position;
  for (std::size_t k = 0; k < first.plan.size(); ++k) position.emplace(first.plan[k], k);
  std::vector<std::optional<scoring::ScenarioResult>> slots(first.plan.size());
  std::vector<fs::path> sources(first.plan.size());
  for (std::size_t i = 0; i < shards.size(); ++i) {
    const ShardSpec& shard = shards[i].info.reproduce->shard;
    for (auto& result : shards[i].scenarios) {
      const std::string session = result.id + "@" + result.protocol;
      const std::string where = shard_dirs[i].string() + ": session " + session;
      auto found = position.find(session);
      if (found == position.end()) return Refuse(where + " is not in the run's plan");
      if (!shard.Contains(found->second)) {
        return Refuse(where + " belongs to shard " +
                      std::to_string(found->second % static_cast<std::size_t>(count) + 1) +
                      ", not " + ShardText(shard));
      }
      if (slots[found->second]) return Refuse(where + " appears twice");
      if (!result.evidence_dir.empty() && !IsSafeEvidencePath(result.evidence_dir)) {
        return Refuse(where + ": evidence path '" + result.evidence_dir +
                      "' is not under evidence/");
      }
      sources[found->second] = shard_dirs[i];
      slots[found->second] = std::move(result);
    }
  }

  MergedRun merged;
  for (std::size_t k = 0; k < slots.size(); ++k) {
    if (!slots[k]) {
      return Refuse("session " + first.plan[k] + " is missing from shard " +
                    std::to_string(k % static_cast<std::size_t>(count) + 1));
    }
    merged.scenarios.push_back(std::move(*slots[k]));
    merged.shard_dirs.push_back(sources[k]);
  }

  // The run as one: shard 1's description, timing spanning all shards.
  merged.info = shards[by_index.at(1)].info;
  merged.info.reproduce->shard = ShardSpec{};
  for (const auto& shard : shards) {
    merged.info.started = std::min(merged.info.started, shard.info.started);
    merged.info.duration_ms = std::max(merged.info.duration_ms, shard.info.duration_ms);
  }
  return merged;
}

Status CopyEvidence(const MergedRun& run, const fs::path& out_dir) {
  std::error_code ec;
  fs::remove_all(out_dir / "evidence", ec);
  if (ec) return MakeError(Errc::kIo, "removing " + (out_dir / "evidence").string() + ": " + ec.message());
  for (std::size_t k = 0; k < run.scenarios.size(); ++k) {
    const std::string& relative = run.scenarios[k].evidence_dir;
    if (relative.empty()) continue;  // a session that never started has none
    const fs::path from = run.shard_dirs[k] / relative;
    if (!fs::is_directory(from, ec)) continue;
    const fs::path to = out_dir / relative;
    fs::create_directories(to.parent_path(), ec);
    fs::copy(from, to, fs::copy_options::recursive, ec);
    if (ec) return MakeError(Errc::kIo, "copying " + from.string() + " to " + to.string() + ": " + ec.message());
  }
  return {};
}

}  // namespace otasim::report
