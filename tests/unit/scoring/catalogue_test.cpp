#define BOOST_TEST_MODULE scoring_catalogue
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <set>

#include "scoring/grading.hpp"
#include "support/temp_dir.hpp"

using namespace otasim::scoring;
namespace fs = std::filesystem;
using otasim::testing::TempDir;

namespace {

const fs::path kCatalogue = fs::path(OTASIM_SOURCE_DIR) / "scenarios/requirements.yaml";

// The error message of loading `text` as a catalogue; fails the test if it loads.
std::string LoadError(const TempDir& temp, const std::string& text, fs::path* where = nullptr) {
  fs::path path = temp.Write("requirements.yaml", text);
  if (where != nullptr) *where = path;
  auto catalogue = LoadCatalogue(path);
  BOOST_REQUIRE_MESSAGE(!catalogue.ok(), "expected an error for:\n" << text);
  return catalogue.error().message();
}

const char* kGood = R"(requirements:
  - id: UPD-1
    pillar: update
    title: Anti-rollback
    statement: Older releases are rejected.
    mappings: ["IETF RFC 9124 REQ.SEC.SEQUENCE"]
  - id: LCY-2
    pillar: lifecycle
    title: Wipe
    statement: Keys are erased.
    assessment: documentary
)";

}  // namespace

BOOST_AUTO_TEST_CASE(real_catalogue_loads_with_all_design_requirements) {
  auto catalogue = LoadCatalogue(kCatalogue);
  BOOST_REQUIRE_MESSAGE(catalogue.ok(), (catalogue.ok() ? "" : catalogue.error().What()));

  std::set<std::string> tested;
  std::set<std::string> documentary;
  for (const Requirement& requirement : catalogue->requirements) {
    BOOST_TEST(!requirement.title.empty());
    BOOST_TEST(!requirement.statement.empty());
    BOOST_TEST(!requirement.mappings.empty(), requirement.id << " has no mappings");
    (requirement.assessment == "documentary" ? documentary : tested).insert(requirement.id);
  }
  std::set<std::string> expected;
  for (int i = 0; i <= 9; ++i) expected.insert("UPD-" + std::to_string(i));
  for (int i = 1; i <= 10; ++i) expected.insert("AUT-" + std::to_string(i));
  for (int i = 1; i <= 5; ++i) expected.insert("IDA-" + std::to_string(i));
  BOOST_TEST(tested == expected, boost::test_tools::per_element());
  BOOST_TEST(documentary == (std::set<std::string>{"LCY-1", "LCY-2", "LCY-3", "LCY-4"}),
             boost::test_tools::per_element());

  const Requirement* aut1 = catalogue->Find("AUT-1");
  BOOST_REQUIRE(aut1 != nullptr);
  BOOST_TEST(aut1->pillar == "authenticity");
  std::set<std::string> mappings(aut1->mappings.begin(), aut1->mappings.end());
  BOOST_TEST(mappings.contains("IETF RFC 9124 THREAT.IMG.NON_AUTH"));
  BOOST_TEST(mappings.contains("IEC 62443-4-2 EDR 3.10 RE(1)"));
  BOOST_TEST(catalogue->Find("IDA-3")->pillar == "identification");
  BOOST_TEST(catalogue->Find("LCY-1")->pillar == "lifecycle");
  BOOST_TEST(catalogue->Find("UPD-99") == nullptr);
}

BOOST_AUTO_TEST_CASE(small_catalogue_loads_in_file_order_with_defaults) {
  TempDir temp("otasim-catalogue");
  auto catalogue = LoadCatalogue(temp.Write("ok.yaml", kGood));
  BOOST_REQUIRE_MESSAGE(catalogue.ok(), (catalogue.ok() ? "" : catalogue.error().What()));
  BOOST_REQUIRE(catalogue->requirements.size() == 2u);
  BOOST_TEST(catalogue->requirements[0].id == "UPD-1");
  BOOST_TEST(catalogue->requirements[0].assessment == "test");
  BOOST_TEST(catalogue->requirements[1].assessment == "documentary");
  BOOST_TEST(catalogue->requirements[1].mappings.empty());
}

BOOST_AUTO_TEST_CASE(missing_field_names_file_line_requirement_and_field) {
  TempDir temp("otasim-catalogue");
  fs::path path;
  std::string message = LoadError(temp, R"(requirements:
  - id: UPD-0
    pillar: update
    title: Legit
    statement: Installs.
  - id: UPD-1
    pillar: update
    title: Anti-rollback
)", &path);
  BOOST_TEST(message == path.string() + ":6: requirement 'UPD-1': missing field 'statement'");
}

BOOST_AUTO_TEST_CASE(wrong_type_points_at_the_value) {
  TempDir temp("otasim-catalogue");
  fs::path path;
  std::string message = LoadError(temp, R"(requirements:
  - id: UPD-1
    pillar: update
    title: Anti-rollback
    statement: Older releases are rejected.
    mappings: "just one string"
)", &path);
  BOOST_TEST(message == path.string() +
                            ":6: requirement 'UPD-1': field 'mappings' must be a list of strings");

  message = LoadError(temp, R"(requirements:
  - id: UPD-1
    pillar: update
    title: [not, a, string]
    statement: x
)");
  BOOST_TEST(message.find(":4: requirement 'UPD-1': field 'title' must be a string") !=
             std::string::npos, message);

  message = LoadError(temp, "requirements: {id: UPD-1}\n");
  BOOST_TEST(message.find(":1: field 'requirements' must be a non-empty list") != std::string::npos,
             message);
}

BOOST_AUTO_TEST_CASE(unknown_and_repeated_fields_are_refused) {
  TempDir temp("otasim-catalogue");
  std::string message = LoadError(temp, R"(requirements:
  - id: UPD-1
    pillar: update
    title: Anti-rollback
    statement: Older releases are rejected.
    severity: high
)");
  BOOST_TEST(message.find(":6: requirement 'UPD-1': unknown field 'severity'") != std::string::npos,
             message);

  message = LoadError(temp, R"(requirements:
  - id: UPD-1
    pillar: update
    title: Anti-rollback
    title: Again
    statement: Older releases are rejected.
)");
  BOOST_TEST(message.find(":5: requirement 'UPD-1': duplicate field 'title'") != std::string::npos,
             message);

  message = LoadError(temp, "version: 2\nrequirements: []\n");
  BOOST_TEST(message.find(":1: unknown field 'version'") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(duplicate_ids_are_refused) {
  TempDir temp("otasim-catalogue");
  std::string message = LoadError(temp, R"(requirements:
  - {id: UPD-1, pillar: update, title: A, statement: a}
  - {id: UPD-2, pillar: update, title: B, statement: b}
  - {id: UPD-1, pillar: update, title: C, statement: c}
)");
  BOOST_TEST(message.find(":4: duplicate requirement id 'UPD-1'") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(bad_values_are_refused) {
  TempDir temp("otasim-catalogue");
  std::string message =
      LoadError(temp, "requirements:\n  - {id: X-1, pillar: safety, title: A, statement: a}\n");
  BOOST_TEST(message.find(":2: requirement 'X-1': field 'pillar' must be") != std::string::npos,
             message);
  message = LoadError(
      temp, "requirements:\n  - {id: X-1, pillar: update, title: A, statement: a, assessment: maybe}\n");
  BOOST_TEST(message.find("field 'assessment' must be 'test' or 'documentary'") != std::string::npos,
             message);
  message = LoadError(temp, "requirements:\n  - {id: 'X 1', pillar: update, title: A, statement: a}\n");
  BOOST_TEST(message.find("requirement 'X 1': id may only contain") != std::string::npos, message);
  message = LoadError(temp, "requirements:\n  - {pillar: update, title: A, statement: a}\n");
  BOOST_TEST(message.find(":2: requirement #1: missing field 'id'") != std::string::npos, message);
  message = LoadError(temp, "requirements:\n  - {id: X-1, pillar: update, title: '', statement: a}\n");
  BOOST_TEST(message.find("field 'title' must not be empty") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(files_that_are_not_catalogues_give_errors_not_crashes) {
  TempDir temp("otasim-catalogue");
  fs::path path;
  std::string message = LoadError(temp, "requirements:\n  - {id: UPD-1, title: [unclosed\n", &path);
  BOOST_TEST(message.rfind(path.string() + ":", 0) == 0, message);
  BOOST_TEST(message.find("not valid YAML") != std::string::npos, message);

  message = LoadError(temp, "just a sentence, not a catalogue\n", &path);
  BOOST_TEST(message == path.string() + ":1: expected a mapping at the top level");
  message = LoadError(temp, "");
  BOOST_TEST(message.find("expected a mapping at the top level") != std::string::npos, message);
  message = LoadError(temp, std::string("\x7f" "ELF\x02\x01\x01\0\0\0\xff\xfe\t:\n- [", 17));
  BOOST_TEST(!message.empty());
  message = LoadError(temp, "- one\n- two\n");
  BOOST_TEST(message.find("expected a mapping at the top level") != std::string::npos, message);
  message = LoadError(temp, "requirements:\n  - just-a-string\n");
  BOOST_TEST(message.find(":2: requirement #1: expected a mapping") != std::string::npos, message);

  auto missing = LoadCatalogue(temp.path() / "does-not-exist.yaml");
  BOOST_REQUIRE(!missing.ok());
  BOOST_TEST(missing.error().message().find("does-not-exist.yaml") != std::string::npos);
}
