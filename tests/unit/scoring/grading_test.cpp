#define BOOST_TEST_MODULE scoring_grading
#include <boost/test/unit_test.hpp>

#include <filesystem>

#include "scoring/grading.hpp"
#include "support/temp_dir.hpp"

using namespace otasim::scoring;
namespace fs = std::filesystem;
using otasim::testing::TempDir;

namespace {

const fs::path kSource = OTASIM_SOURCE_DIR;

Catalogue RealCatalogue() {
  auto catalogue = LoadCatalogue(kSource / "scenarios/requirements.yaml");
  BOOST_REQUIRE_MESSAGE(catalogue.ok(), (catalogue.ok() ? "" : catalogue.error().What()));
  return *catalogue;
}

GradingProfile DefaultProfile(const Catalogue& catalogue) {
  auto profile = LoadGradingProfile(kSource / "scenarios/profiles/default.yaml", catalogue);
  BOOST_REQUIRE_MESSAGE(profile.ok(), (profile.ok() ? "" : profile.error().What()));
  return *profile;
}

Catalogue SmallCatalogue() {
  Catalogue catalogue;
  for (const char* id : {"A-1", "A-2", "B-1"}) {
    catalogue.requirements.push_back(Requirement{id, "update", id, "statement", {}, "test"});
  }
  catalogue.requirements.push_back(
      Requirement{"L-1", "lifecycle", "wipe", "statement", {}, "documentary"});
  return catalogue;
}

ScenarioResult Run(std::string id, std::string protocol, Verdict verdict,
                   std::vector<std::string> requirements) {
  ScenarioResult result;
  result.id = std::move(id);
  result.protocol = std::move(protocol);
  result.verdict = verdict;
  result.requirements = std::move(requirements);
  return result;
}

RequirementState StateOf(const std::vector<RequirementVerdict>& verdicts, const std::string& id) {
  for (const RequirementVerdict& verdict : verdicts) {
    if (verdict.id == id) return verdict.state;
  }
  BOOST_FAIL("no verdict for " << id);
  return RequirementState::kNotAssessed;
}

// Every scenario of every requirement in `ids` on one protocol with the given verdict.
std::vector<ScenarioResult> RunsFor(const std::vector<std::string>& ids, Verdict verdict) {
  std::vector<ScenarioResult> results;
  for (const std::string& id : ids) results.push_back(Run("s/" + id, "http", verdict, {id}));
  return results;
}

}  // namespace

BOOST_AUTO_TEST_CASE(state_names) {
  BOOST_TEST(RequirementStateName(RequirementState::kNotAssessed) == "not-assessed");
  BOOST_TEST(RequirementStateName(RequirementState::kError) == "error");
}

BOOST_AUTO_TEST_CASE(requirement_passes_when_every_protocol_passed) {
  auto verdicts = ScoreRequirements(
      SmallCatalogue(), {Run("x/one", "http", Verdict::kPass, {"A-1"}),
                         Run("x/one", "coap", Verdict::kPass, {"A-1"}),
                         Run("x/two", "mqtt", Verdict::kXpass, {"A-1", "A-2"})});
  BOOST_REQUIRE(verdicts.size() == 4u);
  BOOST_TEST(verdicts[0].id == "A-1");  // catalogue order
  BOOST_TEST(verdicts[3].id == "L-1");
  BOOST_TEST((StateOf(verdicts, "A-1") == RequirementState::kPass));
  BOOST_TEST(verdicts[0].scenarios ==
                 (std::vector<std::string>{"x/one@http", "x/one@coap", "x/two@mqtt"}),
             boost::test_tools::per_element());
  BOOST_TEST((StateOf(verdicts, "A-2") == RequirementState::kPass));
  BOOST_TEST((StateOf(verdicts, "B-1") == RequirementState::kNotAssessed));
}

BOOST_AUTO_TEST_CASE(one_failure_fails_the_requirement) {
  auto verdicts = ScoreRequirements(
      SmallCatalogue(), {Run("x/one", "http", Verdict::kPass, {"A-1"}),
                         Run("x/one", "coap", Verdict::kFail, {"A-1"}),
                         Run("x/two", "http", Verdict::kError, {"A-1"}),
                         Run("x/three", "http", Verdict::kXfail, {"A-2"})});
  BOOST_TEST((StateOf(verdicts, "A-1") == RequirementState::kFail));
  BOOST_TEST((StateOf(verdicts, "A-2") == RequirementState::kFail));  // xfail counts as fail
}

BOOST_AUTO_TEST_CASE(error_without_failure_is_error) {
  auto verdicts = ScoreRequirements(SmallCatalogue(),
                                    {Run("x/one", "http", Verdict::kPass, {"A-1"}),
                                     Run("x/one", "coap", Verdict::kError, {"A-1"})});
  BOOST_TEST((StateOf(verdicts, "A-1") == RequirementState::kError));
}

BOOST_AUTO_TEST_CASE(skips_only_is_not_assessed) {
  auto verdicts = ScoreRequirements(SmallCatalogue(),
                                    {Run("x/one", "http", Verdict::kSkip, {"A-1"}),
                                     Run("x/two", "http", Verdict::kSkip, {"A-2"}),
                                     Run("x/two", "coap", Verdict::kPass, {"A-2"})});
  BOOST_TEST((StateOf(verdicts, "A-1") == RequirementState::kNotAssessed));
  BOOST_TEST(verdicts[0].scenarios.empty());
  BOOST_TEST((StateOf(verdicts, "A-2") == RequirementState::kPass));  // the skip is ignored
  BOOST_TEST(verdicts[1].scenarios == std::vector<std::string>{"x/two@coap"},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(documentary_requirements_are_never_assessed) {
  auto verdicts =
      ScoreRequirements(SmallCatalogue(), {Run("x/claims", "http", Verdict::kPass, {"L-1"})});
  BOOST_TEST((StateOf(verdicts, "L-1") == RequirementState::kNotAssessed));
}

BOOST_AUTO_TEST_CASE(default_profile_is_cumulative) {
  Catalogue catalogue = RealCatalogue();
  GradingProfile profile = DefaultProfile(catalogue);
  BOOST_TEST(profile.name == "default");
  BOOST_REQUIRE(profile.levels.size() == 3u);
  BOOST_TEST(profile.levels[0].name == "bronze");
  BOOST_TEST(profile.levels[0].requirements ==
                 (std::vector<std::string>{"UPD-0", "AUT-1", "AUT-2", "AUT-4", "UPD-4"}),
             boost::test_tools::per_element());
  BOOST_TEST(profile.levels[1].name == "silver");
  BOOST_TEST(profile.levels[1].requirements.size() == 14u);
  BOOST_TEST(profile.levels[2].name == "gold");
  BOOST_TEST(profile.levels[2].requirements.size() == 25u);  // every tested requirement
  // Each level starts with the whole of the level below.
  for (std::size_t i = 1; i < profile.levels.size(); ++i) {
    const auto& lower = profile.levels[i - 1].requirements;
    const auto& upper = profile.levels[i].requirements;
    BOOST_TEST(std::equal(lower.begin(), lower.end(), upper.begin()));
  }
}

BOOST_AUTO_TEST_CASE(all_bronze_pass_gives_bronze) {
  Catalogue catalogue = RealCatalogue();
  GradingProfile profile = DefaultProfile(catalogue);
  auto verdicts = ScoreRequirements(catalogue, RunsFor(profile.levels[0].requirements, Verdict::kPass));
  GradeResult grade = Grade(profile, verdicts);
  BOOST_TEST(grade.grade == "bronze");
  BOOST_TEST(grade.next_level == "silver");
  BOOST_TEST(grade.blocking == (std::vector<std::string>{"AUT-3", "AUT-5", "AUT-6", "IDA-1", "IDA-3",
                                                        "UPD-1", "UPD-2", "UPD-5", "UPD-9"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(one_silver_requirement_not_assessed_stays_bronze) {
  Catalogue catalogue = RealCatalogue();
  GradingProfile profile = DefaultProfile(catalogue);
  std::vector<std::string> ids = profile.levels[1].requirements;
  std::erase(ids, "UPD-5");
  GradeResult grade = Grade(profile, ScoreRequirements(catalogue, RunsFor(ids, Verdict::kPass)));
  BOOST_TEST(grade.grade == "bronze");
  BOOST_TEST(grade.next_level == "silver");
  BOOST_TEST(grade.blocking == std::vector<std::string>{"UPD-5"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(everything_passes_gives_gold_with_nothing_above) {
  Catalogue catalogue = RealCatalogue();
  GradingProfile profile = DefaultProfile(catalogue);
  GradeResult grade = Grade(
      profile, ScoreRequirements(catalogue, RunsFor(profile.levels[2].requirements, Verdict::kPass)));
  BOOST_TEST(grade.grade == "gold");
  BOOST_TEST(grade.next_level.empty());
  BOOST_TEST(grade.blocking.empty());
}

BOOST_AUTO_TEST_CASE(gold_only_failure_gives_silver) {
  Catalogue catalogue = RealCatalogue();
  GradingProfile profile = DefaultProfile(catalogue);
  auto results = RunsFor(profile.levels[2].requirements, Verdict::kPass);
  results.push_back(Run("keys/revoked", "coap", Verdict::kFail, {"AUT-8"}));
  GradeResult grade = Grade(profile, ScoreRequirements(catalogue, results));
  BOOST_TEST(grade.grade == "silver");
  BOOST_TEST(grade.next_level == "gold");
  BOOST_TEST(grade.blocking == std::vector<std::string>{"AUT-8"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(reject_all_device_gets_no_grade) {
  // Every control step fails on a device that rejects everything, so every scenario is error.
  Catalogue catalogue = RealCatalogue();
  GradingProfile profile = DefaultProfile(catalogue);
  GradeResult grade = Grade(
      profile, ScoreRequirements(catalogue, RunsFor(profile.levels[2].requirements, Verdict::kError)));
  BOOST_TEST(grade.grade == "none");
  BOOST_TEST(grade.next_level == "bronze");
  BOOST_TEST(grade.blocking == profile.levels[0].requirements, boost::test_tools::per_element());

  GradeResult nothing_ran = Grade(profile, ScoreRequirements(catalogue, {}));
  BOOST_TEST(nothing_ran.grade == "none");
  BOOST_TEST(nothing_ran.blocking.size() == 5u);
}

BOOST_AUTO_TEST_CASE(grade_needs_a_lower_level_too) {
  // Levels are cumulative: passing gold's additions alone earns nothing.
  Catalogue catalogue = RealCatalogue();
  GradingProfile profile = DefaultProfile(catalogue);
  std::vector<std::string> gold_only(profile.levels[2].requirements.begin() + 14,
                                     profile.levels[2].requirements.end());
  GradeResult grade = Grade(profile, ScoreRequirements(catalogue, RunsFor(gold_only, Verdict::kPass)));
  BOOST_TEST(grade.grade == "none");
}

BOOST_AUTO_TEST_CASE(unknown_requirement_in_profile_names_only_it) {
  TempDir temp("otasim-grading");
  fs::path path = temp.Write("p.yaml", R"(name: strict
levels:
  - name: bronze
    requirements: [UPD-0,
                   UPD-99]
)");
  auto profile = LoadGradingProfile(path, RealCatalogue());
  BOOST_REQUIRE(!profile.ok());
  const std::string& message = profile.error().message();
  BOOST_TEST(message.rfind(path.string() + ":5: level 'bronze': unknown requirement 'UPD-99'", 0) == 0,
             message);
  BOOST_TEST(message.find("list requirements") != std::string::npos, message);  // the hint
  BOOST_TEST(message.find("AUT-1") == std::string::npos, message);  // no catalogue dump
}

BOOST_AUTO_TEST_CASE(bad_profiles_are_refused_with_file_line_and_field) {
  TempDir temp("otasim-grading");
  Catalogue catalogue = RealCatalogue();
  auto error_of = [&](const std::string& text) {
    auto profile = LoadGradingProfile(temp.Write("p.yaml", text), catalogue);
    BOOST_REQUIRE_MESSAGE(!profile.ok(), "expected an error for:\n" << text);
    return profile.error().message();
  };
  std::string message = error_of("levels:\n  - {name: bronze, requirements: [UPD-0]}\n");
  BOOST_TEST(message.find("p.yaml:1: missing field 'name'") != std::string::npos, message);

  message = error_of("name: x\nlevels:\n  - {name: bronze, requirements: UPD-0}\n");
  BOOST_TEST(message.find(":3: level 'bronze': field 'requirements' must be a list of strings") !=
                 std::string::npos, message);

  message = error_of("name: x\nlevels:\n  - {name: bronze, requirements: [UPD-0], inherits: none}\n");
  BOOST_TEST(message.find(":3: level 'bronze': unknown field 'inherits'") != std::string::npos,
             message);

  message = error_of(
      "name: x\nlevels:\n  - {name: bronze, requirements: [UPD-0]}\n"
      "  - {name: silver, requirements: [AUT-1, UPD-0]}\n");
  BOOST_TEST(message.find(":4: level 'silver': requirement 'UPD-0' is already listed by level "
                          "'bronze'") != std::string::npos, message);

  message = error_of(
      "name: x\nlevels:\n  - {name: bronze, requirements: [UPD-0]}\n"
      "  - {name: bronze, requirements: [AUT-1]}\n");
  BOOST_TEST(message.find(":4: level 'bronze': duplicate level name") != std::string::npos, message);

  message = error_of("name: x\nlevels:\n  - {name: bronze, requirements: [LCY-1]}\n");
  BOOST_TEST(message.find("'LCY-1' needs documentary evidence") != std::string::npos, message);

  message = error_of("name: x\nlevels: []\n");
  BOOST_TEST(message.find(":2: field 'levels' must be a non-empty list") != std::string::npos,
             message);

  message = error_of("name: x\nlevels:\n  - {name: none, requirements: [UPD-0]}\n");
  BOOST_TEST(message.find("reserved") != std::string::npos, message);

  message = error_of("name: [x\n");
  BOOST_TEST(message.find("not valid YAML") != std::string::npos, message);
}
