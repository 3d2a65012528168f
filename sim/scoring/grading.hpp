// The requirement catalogue, grading profiles, requirement verdicts and the grade.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "otasim/result.hpp"
#include "scoring/verdict.hpp"

namespace otasim::scoring {

struct Requirement {
  std::string id;         // "UPD-1"
  std::string pillar;     // "authenticity", "identification", "update", "lifecycle"
  std::string title;      // short name
  std::string statement;  // the testable property
  std::vector<std::string> mappings;  // "RFC 9124 THREAT.IMG.NON_AUTH", "IEC 62443-4-2 CR 3.4"
  std::string assessment = "test";    // "test" or "documentary" (no black-box test can see it)
};

struct Catalogue {
  std::vector<Requirement> requirements;
  const Requirement* Find(std::string_view id) const;
};
// Errors name the file, line and field.
Result<Catalogue> LoadCatalogue(const std::filesystem::path& path);

struct GradeLevel {
  std::string name;  // "bronze", "silver", "gold"
  std::vector<std::string> requirements;  // all needed for this level (lower levels' included)
};

struct GradingProfile {
  std::string name;
  std::vector<GradeLevel> levels;  // lowest first
};
// Checks every requirement id against the catalogue; a level lists its own requirements and
// inherits the lower levels' (the loaded profile holds the cumulative lists).
Result<GradingProfile> LoadGradingProfile(const std::filesystem::path& path,
                                          const Catalogue& catalogue);

enum class RequirementState { kPass, kFail, kError, kNotAssessed };
std::string_view RequirementStateName(RequirementState state) noexcept;

struct RequirementVerdict {
  std::string id;
  RequirementState state = RequirementState::kNotAssessed;
  std::vector<std::string> scenarios;  // "id@protocol" of every scenario mapped to it that ran
};

// A requirement passes when every scenario mapped to it passed (xfail counts as fail, xpass as
// pass) and at least one ran; fails when any failed; is `error` when none failed but one
// errored; is not-assessed when none ran (skips only).
std::vector<RequirementVerdict> ScoreRequirements(const Catalogue& catalogue,
                                                  const std::vector<ScenarioResult>& results);

struct GradeResult {
  std::string grade;  // a level name, or "none"
  std::string next_level;  // the level above, empty at the top
  std::vector<std::string> blocking;  // requirements that keep the next level out of reach
};
GradeResult Grade(const GradingProfile& profile, const std::vector<RequirementVerdict>& verdicts);

}  // namespace otasim::scoring
