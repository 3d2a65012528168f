#include "scoring/grading.hpp"

#include <algorithm>
#include <exception>
#include <initializer_list>
#include <map>
#include <set>

#include <yaml-cpp/yaml.h>

#include "otasim/files.hpp"

namespace otasim::scoring {
namespace {

// Catalogue and profiles are small hand-written files; anything bigger is a mistake.
constexpr std::uint64_t kMaxFileBytes = 1u << 20;

const std::set<std::string, std::less<>> kPillars = {"authenticity", "identification", "update",
                                                     "lifecycle"};

// Reads one YAML file and turns every problem into an error that names file, line and field.
// yaml-cpp reports by exception; those are caught here so nothing escapes the loaders.
class YamlFile {
 public:
  explicit YamlFile(const std::filesystem::path& path) : name_(path.string()), path_(path) {}

  Result<YAML::Node> Load() const {
    auto text = ReadFile(path_, kMaxFileBytes);
    if (!text.ok()) return text.error();
    try {
      YAML::Node root = YAML::Load(*text);
      if (!root.IsMap()) {
        return Error(Errc::kParse, Where(root.Mark()) + ": expected a mapping at the top level");
      }
      return root;
    } catch (const YAML::Exception& e) {
      return Error(Errc::kParse, Where(e.mark) + ": not valid YAML: " + e.msg);
    }
  }

  Error At(const YAML::Node& node, const std::string& context, const std::string& what) const {
    std::string where = Where(node.Mark());
    return Error(Errc::kParse, where + ": " + (context.empty() ? what : context + ": " + what));
  }

  // Refuses fields outside `allowed` and repeated fields (yaml-cpp would silently keep one).
  Status CheckFields(const YAML::Node& map, const std::string& context,
                     std::initializer_list<std::string_view> allowed) const {
    std::set<std::string, std::less<>> seen;
    for (const auto& entry : map) {
      const YAML::Node& key = entry.first;
      if (!key.IsScalar()) return At(key, context, "field names must be strings");
      const std::string& name = key.Scalar();
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        std::string list;
        for (std::string_view field : allowed) list += (list.empty() ? "" : ", ") + std::string(field);
        return At(key, context, "unknown field '" + name + "' (allowed: " + list + ")");
      }
      if (!seen.insert(name).second) return At(key, context, "duplicate field '" + name + "'");
    }
    return {};
  }

  Result<std::string> String(const YAML::Node& map, const std::string& context,
                             const std::string& field) const {
    const YAML::Node value = map[field];
    if (!value.IsDefined()) return At(map, context, "missing field '" + field + "'");
    if (!value.IsScalar()) return At(value, context, "field '" + field + "' must be a string");
    if (value.Scalar().empty()) return At(value, context, "field '" + field + "' must not be empty");
    return value.Scalar();
  }

  Result<std::vector<std::string>> StringList(const YAML::Node& map, const std::string& context,
                                              const std::string& field) const {
    const YAML::Node value = map[field];
    if (!value.IsDefined()) return At(map, context, "missing field '" + field + "'");
    if (!value.IsSequence()) {
      return At(value, context, "field '" + field + "' must be a list of strings");
    }
    std::vector<std::string> items;
    for (const YAML::Node& item : value) {
      if (!item.IsScalar() || item.Scalar().empty()) {
        return At(item, context,
                  "field '" + field + "' item " + std::to_string(items.size() + 1) +
                      " must be a non-empty string");
      }
      items.push_back(item.Scalar());
    }
    return items;
  }

  Result<YAML::Node> List(const YAML::Node& map, const std::string& context,
                          const std::string& field) const {
    const YAML::Node value = map[field];
    if (!value.IsDefined()) return At(map, context, "missing field '" + field + "'");
    if (!value.IsSequence() || value.size() == 0) {
      return At(value, context, "field '" + field + "' must be a non-empty list");
    }
    return value;
  }

 private:
  std::string Where(const YAML::Mark& mark) const {
    if (mark.is_null() || mark.line < 0) return name_;
    return name_ + ":" + std::to_string(mark.line + 1);
  }

  std::string name_;
  std::filesystem::path path_;
};

bool ValidId(std::string_view id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.';
  });
}

Result<Requirement> ParseRequirement(const YamlFile& file, const YAML::Node& node, int number) {
  std::string context = "requirement #" + std::to_string(number);
  if (!node.IsMap()) return file.At(node, context, "expected a mapping");
  // Name the requirement by its id as soon as we have one, so later errors are easy to place.
  if (node["id"].IsDefined() && node["id"].IsScalar() && !node["id"].Scalar().empty()) {
    context = "requirement '" + node["id"].Scalar() + "'";
  }
  OTASIM_CHECK(file.CheckFields(node, context,
                                {"id", "pillar", "title", "statement", "mappings", "assessment"}));
  Requirement requirement;
  OTASIM_TRY(requirement.id, file.String(node, context, "id"));
  if (!ValidId(requirement.id)) {
    return file.At(node["id"], context,
                   "id may only contain letters, digits, '-', '_' and '.'");
  }
  OTASIM_TRY(requirement.pillar, file.String(node, context, "pillar"));
  if (!kPillars.contains(requirement.pillar)) {
    return file.At(node["pillar"], context,
                   "field 'pillar' must be authenticity, identification, update or lifecycle");
  }
  OTASIM_TRY(requirement.title, file.String(node, context, "title"));
  OTASIM_TRY(requirement.statement, file.String(node, context, "statement"));
  if (node["mappings"].IsDefined()) {
    OTASIM_TRY(requirement.mappings, file.StringList(node, context, "mappings"));
  }
  if (node["assessment"].IsDefined()) {
    OTASIM_TRY(requirement.assessment, file.String(node, context, "assessment"));
    if (requirement.assessment != "test" && requirement.assessment != "documentary") {
      return file.At(node["assessment"], context,
                     "field 'assessment' must be 'test' or 'documentary'");
    }
  }
  return requirement;
}

Result<Catalogue> ParseCatalogue(const YamlFile& file, const YAML::Node& root) {
  OTASIM_CHECK(file.CheckFields(root, "", {"requirements"}));
  OTASIM_TRY(YAML::Node list, file.List(root, "", "requirements"));
  Catalogue catalogue;
  int number = 0;
  for (const YAML::Node& node : list) {
    OTASIM_TRY(Requirement requirement, ParseRequirement(file, node, ++number));
    if (catalogue.Find(requirement.id) != nullptr) {
      return file.At(node, "", "duplicate requirement id '" + requirement.id + "'");
    }
    catalogue.requirements.push_back(std::move(requirement));
  }
  return catalogue;
}

Result<GradingProfile> ParseProfile(const YamlFile& file, const YAML::Node& root,
                                    const Catalogue& catalogue) {
  OTASIM_CHECK(file.CheckFields(root, "", {"name", "description", "levels"}));
  GradingProfile profile;
  OTASIM_TRY(profile.name, file.String(root, "", "name"));
  if (root["description"].IsDefined()) OTASIM_CHECK(file.String(root, "", "description"));
  OTASIM_TRY(YAML::Node levels, file.List(root, "", "levels"));

  std::map<std::string, std::string, std::less<>> level_of;  // requirement id -> level
  std::vector<std::string> cumulative;
  int number = 0;
  for (const YAML::Node& node : levels) {
    std::string context = "level #" + std::to_string(++number);
    if (!node.IsMap()) return file.At(node, context, "expected a mapping");
    if (node["name"].IsDefined() && node["name"].IsScalar() && !node["name"].Scalar().empty()) {
      context = "level '" + node["name"].Scalar() + "'";
    }
    OTASIM_CHECK(file.CheckFields(node, context, {"name", "requirements"}));
    GradeLevel level;
    OTASIM_TRY(level.name, file.String(node, context, "name"));
    if (level.name == "none") {
      return file.At(node["name"], context, "'none' is reserved for \"no grade\"");
    }
    for (const GradeLevel& lower : profile.levels) {
      if (lower.name == level.name) return file.At(node["name"], context, "duplicate level name");
    }
    OTASIM_TRY(std::vector<std::string> added, file.StringList(node, context, "requirements"));
    if (added.empty()) {
      return file.At(node["requirements"], context, "a level must add at least one requirement");
    }
    std::size_t index = 0;
    for (const std::string& id : added) {
      const YAML::Node item = node["requirements"][index++];
      const Requirement* requirement = catalogue.Find(id);
      if (requirement == nullptr) {
        return file.At(item, context,
                       "unknown requirement '" + id +
                           "' (not in the requirement catalogue; `otasim list requirements` "
                           "shows the known ids)");
      }
      // A documentary requirement can never be shown by a test, so it would block forever.
      if (requirement->assessment == "documentary") {
        return file.At(item, context,
                       "requirement '" + id +
                           "' needs documentary evidence and cannot be part of a grade level");
      }
      if (auto found = level_of.find(id); found != level_of.end()) {
        return file.At(item, context,
                       "requirement '" + id + "' is already listed by level '" + found->second +
                           "' (each level lists only its own additions)");
      }
      level_of.emplace(id, level.name);
      cumulative.push_back(id);
    }
    level.requirements = cumulative;
    profile.levels.push_back(std::move(level));
  }
  return profile;
}

}  // namespace

const Requirement* Catalogue::Find(std::string_view id) const {
  for (const Requirement& requirement : requirements) {
    if (requirement.id == id) return &requirement;
  }
  return nullptr;
}

Result<Catalogue> LoadCatalogue(const std::filesystem::path& path) {
  YamlFile file(path);
  try {
    OTASIM_TRY(YAML::Node root, file.Load());
    return ParseCatalogue(file, root);
  } catch (const std::exception& e) {
    return Error(Errc::kParse, path.string() + ": " + e.what());
  }
}

Result<GradingProfile> LoadGradingProfile(const std::filesystem::path& path,
                                          const Catalogue& catalogue) {
  YamlFile file(path);
  try {
    OTASIM_TRY(YAML::Node root, file.Load());
    return ParseProfile(file, root, catalogue);
  } catch (const std::exception& e) {
    return Error(Errc::kParse, path.string() + ": " + e.what());
  }
}

std::string_view RequirementStateName(RequirementState state) noexcept {
  switch (state) {
    case RequirementState::kPass: return "pass";
    case RequirementState::kFail: return "fail";
    case RequirementState::kError: return "error";
    case RequirementState::kNotAssessed: return "not-assessed";
  }
  return "not-assessed";
}

std::vector<RequirementVerdict> ScoreRequirements(const Catalogue& catalogue,
                                                  const std::vector<ScenarioResult>& results) {
  std::vector<RequirementVerdict> verdicts;
  verdicts.reserve(catalogue.requirements.size());
  for (const Requirement& requirement : catalogue.requirements) {
    RequirementVerdict verdict{requirement.id, RequirementState::kNotAssessed, {}};
    // No black-box run can show a documentary requirement, whatever a scenario claims.
    if (requirement.assessment == "documentary") {
      verdicts.push_back(std::move(verdict));
      continue;
    }
    bool any_pass = false, any_fail = false, any_error = false;
    for (const ScenarioResult& result : results) {
      if (std::find(result.requirements.begin(), result.requirements.end(), requirement.id) ==
          result.requirements.end()) {
        continue;
      }
      switch (result.verdict) {
        case Verdict::kSkip: continue;  // did not run: neither evidence for nor against
        case Verdict::kPass:
        case Verdict::kXpass: any_pass = true; break;
        // An expected failure is still a weakness of the device.
        case Verdict::kFail:
        case Verdict::kXfail: any_fail = true; break;
        case Verdict::kError: any_error = true; break;
      }
      verdict.scenarios.push_back(result.id + "@" + result.protocol);
    }
    if (any_fail) {
      verdict.state = RequirementState::kFail;
    } else if (any_error) {
      verdict.state = RequirementState::kError;
    } else if (any_pass) {
      verdict.state = RequirementState::kPass;
    }
    verdicts.push_back(std::move(verdict));
  }
  return verdicts;
}

GradeResult Grade(const GradingProfile& profile, const std::vector<RequirementVerdict>& verdicts) {
  auto state_of = [&](const std::string& id) {
    for (const RequirementVerdict& verdict : verdicts) {
      if (verdict.id == id) return verdict.state;
    }
    return RequirementState::kNotAssessed;
  };
  auto all_pass = [&](const GradeLevel& level) {
    return std::all_of(level.requirements.begin(), level.requirements.end(),
                       [&](const std::string& id) { return state_of(id) == RequirementState::kPass; });
  };

  GradeResult result{"none", "", {}};
  std::size_t next = 0;  // index of the level above the achieved one
  for (std::size_t i = profile.levels.size(); i-- > 0;) {
    if (all_pass(profile.levels[i])) {
      result.grade = profile.levels[i].name;
      next = i + 1;
      break;
    }
  }
  if (next < profile.levels.size()) {
    const GradeLevel& level = profile.levels[next];
    result.next_level = level.name;
    for (const std::string& id : level.requirements) {
      if (state_of(id) != RequirementState::kPass) result.blocking.push_back(id);
    }
  }
  return result;
}

}  // namespace otasim::scoring
