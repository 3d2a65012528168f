// `otasim merge --out DIR SHARD_DIR...`: one report from the shards of a run, scored and graded
// as the unsharded run would have been.
#include <iostream>
#include <optional>
#include <system_error>

#include "cli/commands.hpp"
#include "cli/progress_printer.hpp"
#include "otasim/crypto.hpp"
#include "report/merge.hpp"
#include "report/signing.hpp"
#include "scoring/grading.hpp"

namespace otasim::cli {
namespace {

namespace fs = std::filesystem;

int Refuse(const std::string& message) {
  std::cerr << "otasim: merge: " << message << "\n";
  return kExitBadInput;
}

// The shards were scored against these files; merging with different ones would grade a run
// that never happened.
Status CheckUnchanged(const report::FileRecord& recorded, const fs::path& current, const std::string& what) {
  OTASIM_TRY(std::string sha, crypto::Sha256FileHex(current));
  if (sha != recorded.sha256) {
    return MakeError(Errc::kInvalidArgument, what + " " + current.string() +
                                                 " differs from the one the shards ran with (sha256 " +
                                                 recorded.sha256 + " recorded, " + sha + " here)");
  }
  return {};
}

}  // namespace

int MergeCommand(const CommonOptions& common, const MergeOptions& options) {
  DataDirs dirs;
  plugin_host::Registry registry;
  if (!LoadEnvironment(common, dirs, registry)) return kExitBadInput;

  std::optional<crypto::PrivateKey> key;
  if (!options.sign_key.empty()) {
    auto loaded = crypto::PrivateKey::LoadPem(options.sign_key);
    if (!loaded) return Refuse("--sign-key " + options.sign_key + " is not a PEM private key: " + loaded.error().message());
    key = std::move(*loaded);
  }
  std::vector<fs::path> shard_dirs(options.shard_dirs.begin(), options.shard_dirs.end());
  std::error_code ec;
  const fs::path out_dir = fs::absolute(options.out_dir, ec);
  for (const auto& dir : shard_dirs) {
    if (fs::equivalent(dir, out_dir, ec)) return Refuse("--out " + options.out_dir + " is one of the shards");
  }
  auto merged = report::CombineShards(shard_dirs);
  if (!merged) return Refuse(merged.error().message());
  const report::ReproduceRecord& record = *merged->info.reproduce;

  const fs::path grading_file = dirs.grading_profiles() / (record.grading_profile.name + ".yaml");
  if (Status s = CheckUnchanged(record.catalogue, dirs.catalogue(), "requirement catalogue"); !s) {
    return Refuse(s.error().message());
  }
  if (Status s = CheckUnchanged(record.grading_profile, grading_file, "grading profile"); !s) {
    return Refuse(s.error().message());
  }
  auto catalogue = scoring::LoadCatalogue(dirs.catalogue());
  if (!catalogue) return Refuse(catalogue.error().message());
  auto grading = scoring::LoadGradingProfile(grading_file, *catalogue);
  if (!grading) return Refuse(grading.error().message());

  fs::create_directories(out_dir, ec);
  if (ec) return Refuse("cannot create " + out_dir.string() + ": " + ec.message());
  fs::remove(out_dir / report::kSignatureFile, ec);  // a stale one would not match the new files
  if (Status copied = report::CopyEvidence(*merged, out_dir); !copied) {
    std::cerr << "otasim: merge: " << copied.error().message() << "\n";
    return kExitHarness;
  }

  report::RunReport rep;
  rep.info = merged->info;
  rep.info.command_line = options.command_line;
  rep.info.reproduce->command_line = options.command_line;
  rep.scenarios = std::move(merged->scenarios);
  rep.requirements = scoring::ScoreRequirements(*catalogue, rep.scenarios);
  rep.grade = scoring::Grade(*grading, rep.requirements);
  rep.catalogue = &*catalogue;
  if (Status written = report::WriteReports(rep, out_dir); !written) {
    std::cerr << "otasim: merge: writing reports: " << written.error().message() << "\n";
    return kExitHarness;
  }
  if (key) {
    if (Status signed_ok = report::SignOutputDir(out_dir, *key); !signed_ok) {
      std::cerr << "otasim: merge: signing: " << signed_ok.error().message() << "\n";
      return kExitHarness;
    }
  }
  ProgressPrinter printer(false, common.quiet, common.verbose);
  if (!common.quiet) {
    std::cout << "otasim: merged " << shard_dirs.size() << " shard(s), " << rep.scenarios.size()
              << " session(s)" << std::endl;
  }
  printer.Summary(rep, out_dir);

  bool findings = false, errors = false;
  for (const auto& r : rep.scenarios) {
    if (r.verdict == scoring::Verdict::kFail || r.verdict == scoring::Verdict::kXpass) findings = true;
    if (r.verdict == scoring::Verdict::kError) errors = true;
  }
  return findings ? kExitFindings : errors ? kExitHarness : kExitOk;
}

}  // namespace otasim::cli
