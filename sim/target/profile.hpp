// Target profiles (YAML): how to run and observe a device under test.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "otasim/params.hpp"
#include "otasim/result.hpp"

namespace otasim::target {

// One step of a verb of the template adapter: run a command, or copy or write a file.
// Every text field is a template (target/template_values.hpp).
struct ProfileAction {
  enum class Kind { kCommand, kCopy, kWrite };
  Kind kind = Kind::kCommand;
  // kCommand
  std::string command;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;  // directories named here are created first
  std::optional<std::chrono::milliseconds> timeout;  // unset: what is left of the verb's time
  bool daemon = false;       // mode: daemon — runs until `until` holds or the step times out
  std::string until;         // daemon: "final-report"
  // daemon: also stop once the client's output matches this (an install it then sits on,
  // waiting for a restart)
  std::string until_log;
  std::shared_ptr<const std::regex> until_log_regex;
  bool when_installed = false;  // when: installed — only if the check's outcome so far is that
  // retry_if: a run whose output matches is the client's own hiccup, not an outcome: it is run
  // again (at most twice more) with the scratch directories of its env emptied.
  std::string retry_if;
  std::shared_ptr<const std::regex> retry_regex;
  // kCopy: from → to; kWrite: text → path
  std::string from;
  std::string to;
  std::string path;
  std::string text;
  int line = 0;
};

// How a check's outcome is read from what the client did; the first rule that matches wins.
struct OutcomeRule {
  enum class Source { kLog, kReport, kExit };
  Source source = Source::kExit;
  std::string pattern;                     // kLog, kReport: ECMAScript regex
  std::shared_ptr<const std::regex> regex;  // compiled at load
  int exit_code = 0;                       // kExit
  std::string outcome;                     // installed, no-update, rejected, failed, error
  std::string reason;                      // reason vocabulary of targets/PROTOCOL.md, or ""
  int line = 0;
};

struct TargetProfile {
  std::string name;
  std::string summary;
  std::string adapter = "contract";  // contract: speaks targets/PROTOCOL.md; template: commands
  std::string command;               // contract: {bin_dir}, {profile_dir}, {<param>}
  std::vector<std::string> args;     // contract: templates, given after the verb's own arguments
  std::vector<std::string> protocols;
  std::vector<std::string> verbs;    // provision, check, state, boot, run
  std::string power_cut = "none";    // "env": honours OTASIM_POWER_CUT
  std::vector<ParamSpec> params;
  std::map<std::string, std::chrono::milliseconds> timeouts;  // per verb
  // The release format the client takes (a kFormat plugin) and its parameters (templates).
  std::string release_format = "format.native";
  std::map<std::string, std::string> release_format_params;
  // Server model per protocol (unset: the usual one) and parameters laid under the scenario's.
  std::map<std::string, std::string> servers;
  std::map<std::string, std::map<std::string, std::string>> server_params;
  std::string clock = "none";  // none | faketime: commands run under libfaketime at the config's now
  // Template adapter.
  std::map<std::string, std::vector<ProfileAction>> commands;  // per verb
  std::vector<OutcomeRule> outcome_rules;
  std::string outcome_default = "error";
  std::string installed_file;  // its SHA-256 tells which release runs
  std::string version_file;    // optional; the adapter writes the running version there
  std::filesystem::path file;
  std::string sha256;

  bool Supports(const std::string& verb) const;
  bool SupportsProtocol(const std::string& protocol) const;
  std::chrono::milliseconds Timeout(const std::string& verb) const;  // default 30 s
};

Result<TargetProfile> LoadTargetProfile(const std::filesystem::path& path);

// NAME (looked up as <profiles_dir>/NAME.yaml) or a path to a profile file.
Result<std::filesystem::path> FindTargetProfile(const std::string& name_or_path,
                                                const std::filesystem::path& profiles_dir);

// Replaces {name} placeholders; "{{" is a literal "{". Unknown placeholders are an error
// naming them.
Result<std::string> ExpandTemplate(const std::string& text,
                                   const std::map<std::string, std::string>& values);

// The placeholder names a template uses, in order (kInvalidArgument for an unclosed '{').
Result<std::vector<std::string>> TemplatePlaceholders(const std::string& text);

}  // namespace otasim::target
