#define BOOST_TEST_MODULE scenario_loader
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "plugin_host/registry.hpp"
#include "scenario/loader.hpp"
#include "scoring/grading.hpp"
#include "support/temp_dir.hpp"

using namespace otasim;
using namespace otasim::scenario;
namespace fs = std::filesystem;
using otasim::testing::TempDir;

namespace {

const fs::path kSource = OTASIM_SOURCE_DIR;
const fs::path kLibrary = kSource / "scenarios/library";

// The real registry and catalogue, loaded once for the whole module.
struct Engine {
  plugin_host::Registry registry;
  scoring::Catalogue catalogue;
  Engine() {
    Status builtins = registry.LoadBuiltins();
    if (!builtins) throw std::runtime_error(builtins.error().What());
    auto loaded = scoring::LoadCatalogue(kSource / "scenarios/requirements.yaml");
    if (!loaded) throw std::runtime_error(loaded.error().What());
    catalogue = std::move(*loaded);
  }
  static Engine& Get() {
    static Engine engine;
    return engine;
  }
  ValidationContext Context(const fs::path& library_root = {}) const {
    return {&registry, &catalogue, library_root};
  }
};

// A valid scenario; the tests below break one thing at a time. Line numbers matter: the
// comments give each line's number as the loader must report it.
const std::string kValid =
    "id: test/sample\n"                                         // 1
    "title: A sample scenario\n"                                // 2
    "requirements: [UPD-1]\n"                                   // 3
    "protocols: any\n"                                          // 4
    "releases:\n"                                               // 5
    "  v1: {version: 1.0.0, sequence: 1}\n"                     // 6
    "  v2: {version: 2.0.0, sequence: 2}\n"                     // 7
    "device: {initial: v1}\n"                                   // 8
    "steps:\n"                                                  // 9
    "  - name: legitimate update\n"                             // 10
    "    control: true\n"                                       // 11
    "    serve: v2\n"                                           // 12
    "    expect: {outcome: installed, running: v2}\n"           // 13
    "  - name: older v1 offered\n"                              // 14
    "    attacks:\n"                                            // 15
    "      - id: attack.downgrade\n"                            // 16
    "        params: {release: v1}\n"                           // 17
    "    expect: {outcome: rejected, reason: rollback, running: v2}\n";  // 18

// kValid with the first occurrence of `from` replaced by `to` (which must exist).
std::string Replace(const std::string& from, const std::string& to,
                    const std::string& base = kValid) {
  const auto at = base.find(from);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, "'" << from << "' not in the base scenario");
  std::string out = base;
  out.replace(at, from.size(), to);
  return out;
}

struct Failure {
  fs::path file;
  std::string message;
  Errc code = Errc::kInternal;
};

// Loads `text` from a fresh file (no library root) and returns the error it must give.
Failure LoadFailure(const std::string& text) {
  TempDir temp("otasim-scenario-loader");
  Failure f;
  f.file = temp.Write("scenario.yaml", text);
  auto loaded = LoadScenario(f.file, Engine::Get().Context());
  BOOST_REQUIRE_MESSAGE(!loaded.ok(), "the scenario loaded but should not have");
  f.message = loaded.error().message();
  f.code = loaded.error().code();
  BOOST_TEST_MESSAGE(f.message);
  return f;
}

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// "FILE:LINE: FIELD: " must open the message.
void ExpectAt(const Failure& f, int line, const std::string& field) {
  const std::string prefix = f.file.string() + ":" + std::to_string(line) + ": " + field + ": ";
  BOOST_TEST(StartsWith(f.message, prefix), "expected prefix '" << prefix << "' in '" << f.message << "'");
  BOOST_TEST((f.code == Errc::kInvalidArgument));
}

std::vector<fs::path> LibraryFiles() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(kLibrary)) {
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::set<std::string> Ids(const std::vector<ScenarioSpec>& specs) {
  std::set<std::string> ids;
  for (const auto& s : specs) ids.insert(s.id);
  return ids;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(library_tests)

BOOST_AUTO_TEST_CASE(every_library_scenario_loads_and_its_id_matches_its_path) {
  const auto files = LibraryFiles();
  BOOST_REQUIRE_GE(files.size(), 10u);
  for (const auto& file : files) {
    auto spec = LoadScenario(file, Engine::Get().Context(kLibrary));
    BOOST_REQUIRE_MESSAGE(spec.ok(), file << ": " << (spec.ok() ? "" : spec.error().What()));
    const std::string expected = fs::relative(file, kLibrary).replace_extension().generic_string();
    BOOST_TEST(spec->id == expected);
    BOOST_TEST(spec->file == file);
    BOOST_TEST(spec->sha256.size() == 64u);
    BOOST_TEST(!spec->steps.empty());
    BOOST_TEST(spec->steps.front().control, spec->id << ": the first step is the control");
    BOOST_TEST(spec->releases.count(spec->initial_release) == 1u, spec->id);
    BOOST_TEST(spec->Threat() == expected.substr(0, expected.find('/')));
  }
}

BOOST_AUTO_TEST_CASE(load_library_returns_every_file_sorted_by_id) {
  auto library = LoadLibrary(Engine::Get().Context(kLibrary));
  BOOST_REQUIRE_MESSAGE(library.ok(), (library.ok() ? "" : library.error().What()));
  BOOST_TEST(library->size() == LibraryFiles().size());
  for (std::size_t i = 1; i < library->size(); ++i) {
    BOOST_TEST(((*library)[i - 1].id < (*library)[i].id), (*library)[i].id);
  }
}

// Ids sort differently from paths where a name is a prefix of another ("cut" and "cut-short",
// "ab" and "ab-c"): the library must come back in id order, as documented.
BOOST_AUTO_TEST_CASE(load_library_sorts_by_id_not_by_path) {
  TempDir temp("otasim-scenario-loader");
  for (const std::string id : {"x/cut", "x/cut-short", "ab/two", "ab-c/one"}) {
    temp.Write("lib/" + id + ".yaml", Replace("id: test/sample", "id: " + id));
  }
  auto library = LoadLibrary(Engine::Get().Context(temp.path() / "lib"));
  BOOST_REQUIRE_MESSAGE(library.ok(), (library.ok() ? "" : library.error().What()));
  std::vector<std::string> ids;
  for (const auto& s : *library) ids.push_back(s.id);
  const std::vector<std::string> expected = {"ab-c/one", "ab/two", "x/cut", "x/cut-short"};
  BOOST_TEST(ids == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(load_library_stops_at_the_first_bad_file) {
  TempDir temp("otasim-scenario-loader");
  temp.Write("lib/test/sample.yaml", kValid);
  const fs::path bad = temp.Write("lib/test/broken.yaml", Replace("id: test/sample", "id: test/broken") + "colour: red\n");
  auto library = LoadLibrary(Engine::Get().Context(temp.path() / "lib"));
  BOOST_REQUIRE(!library.ok());
  BOOST_TEST(StartsWith(library.error().message(), bad.string() + ":19: colour: "));
}

BOOST_AUTO_TEST_CASE(the_valid_sample_loads_with_what_it_says) {
  TempDir temp("otasim-scenario-loader");
  auto spec = LoadScenario(temp.Write("s.yaml", kValid), Engine::Get().Context());
  BOOST_REQUIRE_MESSAGE(spec.ok(), (spec.ok() ? "" : spec.error().What()));
  BOOST_TEST(spec->id == "test/sample");
  BOOST_TEST(spec->protocols.empty());  // any
  BOOST_TEST(spec->AppliesTo("coap"));
  BOOST_REQUIRE_EQUAL(spec->steps.size(), 2u);
  BOOST_TEST(spec->steps[0].line == 10);
  BOOST_TEST(spec->steps[1].line == 14);
  BOOST_REQUIRE_EQUAL(spec->steps[1].attacks.size(), 1u);
  BOOST_TEST(spec->steps[1].attacks[0].id == "attack.downgrade");
  BOOST_TEST(spec->steps[1].attacks[0].line == 16);
  BOOST_TEST(spec->steps[1].attacks[0].params.at("release") == "v1");
  BOOST_TEST(spec->releases.at("v2").sequence == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(scenario_error_tests)

BOOST_AUTO_TEST_CASE(missing_title) {
  auto f = LoadFailure(Replace("title: A sample scenario\n", ""));
  ExpectAt(f, 1, "title");
  BOOST_TEST(Contains(f.message, "missing required field"));
}

BOOST_AUTO_TEST_CASE(unknown_top_level_field_lists_the_allowed_ones) {
  auto f = LoadFailure(kValid + "colour: red\n");
  ExpectAt(f, 19, "colour");
  BOOST_TEST(Contains(f.message, "unknown field"));
  BOOST_TEST(Contains(f.message,
                      "id, title, summary, requirements, protocols, servers, trust, roots, releases, "
                      "device, steps"));
}

BOOST_AUTO_TEST_CASE(unknown_requirement_id) {
  auto f = LoadFailure(Replace("[UPD-1]", "[UPD-1, NOPE-9]"));
  ExpectAt(f, 3, "requirements");
  BOOST_TEST(Contains(f.message, "'NOPE-9'"));
}

BOOST_AUTO_TEST_CASE(unknown_protocol) {
  auto f = LoadFailure(Replace("protocols: any", "protocols: [http, carrier-pigeon]"));
  ExpectAt(f, 4, "protocols");
  BOOST_TEST(Contains(f.message, "'carrier-pigeon'"));
}

BOOST_AUTO_TEST_CASE(server_parameters_are_checked_against_the_protocols_server_model) {
  auto f = LoadFailure(Replace("protocols: any\n", "protocols: any\nservers:\n  http: {colour: red}\n"));
  ExpectAt(f, 6, "servers.http");
  BOOST_TEST(Contains(f.message, "colour"));
  BOOST_TEST(Contains(f.message, "server.http-poll"));
}

BOOST_AUTO_TEST_CASE(server_parameters_for_a_protocol_the_scenario_does_not_run_over) {
  auto f = LoadFailure(Replace("protocols: any\n", "protocols: [http]\nservers:\n  mqtt: {}\n"));
  ExpectAt(f, 6, "servers.mqtt");
  BOOST_TEST(Contains(f.message, "does not run over mqtt"));
}

BOOST_AUTO_TEST_CASE(server_parameters_are_kept_per_protocol) {
  TempDir temp("otasim-scenario-loader");
  auto file = temp.Write("scenario.yaml",
                         Replace("protocols: any\n", "protocols: any\nservers:\n  http: {io_timeout: 3s}\n"));
  auto loaded = LoadScenario(file, Engine::Get().Context());
  BOOST_REQUIRE_MESSAGE(loaded.ok(), (loaded.ok() ? "" : loaded.error().message()));
  BOOST_TEST(loaded->server_params.at("http").at("io_timeout") == "3s");
}

BOOST_AUTO_TEST_CASE(an_attack_bound_to_one_protocol_needs_a_scenario_bound_to_it) {
  // attack.mqtt-publish works over MQTT only; the sample runs over any protocol.
  auto f = LoadFailure(Replace("id: attack.downgrade\n        params: {release: v1}",
                               "id: attack.mqtt-publish\n        params: {mode: replay-job}"));
  ExpectAt(f, 16, "steps[2].attacks[1].id");
  BOOST_TEST(Contains(f.message, "applies only to mqtt"));
}

BOOST_AUTO_TEST_CASE(release_with_bad_semver) {
  auto f = LoadFailure(Replace("version: 1.0.0", "version: 1.0"));
  ExpectAt(f, 6, "releases.v1.version");
  BOOST_TEST(Contains(f.message, "'1.0' is not semver"));
}

BOOST_AUTO_TEST_CASE(release_with_bad_size) {
  for (const std::string size : {"lots", "0", "5GiB"}) {
    auto f = LoadFailure(Replace("sequence: 2}", "sequence: 2, size: " + size + "}"));
    ExpectAt(f, 7, "releases.v2.size");
    BOOST_TEST(Contains(f.message, "'" + size + "'"));
  }
}

BOOST_AUTO_TEST_CASE(release_with_bad_expires_offset) {
  auto f = LoadFailure(Replace("sequence: 2}", "sequence: 2, expires: soon}"));
  ExpectAt(f, 7, "releases.v2.expires");
  BOOST_TEST(Contains(f.message, "offset"));
}

BOOST_AUTO_TEST_CASE(release_with_bad_signer) {
  auto f = LoadFailure(Replace("sequence: 2}", "sequence: 2, signer: mallory}"));
  ExpectAt(f, 7, "releases.v2.signer");
  BOOST_TEST(Contains(f.message, "expected vendor, rogue or another vendor key"));
}

BOOST_AUTO_TEST_CASE(release_with_unknown_field) {
  auto f = LoadFailure(Replace("sequence: 2}", "sequence: 2, colour: red}"));
  ExpectAt(f, 7, "releases.v2.colour");
}

BOOST_AUTO_TEST_CASE(device_initial_naming_an_unknown_release) {
  auto f = LoadFailure(Replace("{initial: v1}", "{initial: v9}"));
  ExpectAt(f, 8, "device.initial");
  BOOST_TEST(Contains(f.message, "'v9'"));
}

BOOST_AUTO_TEST_CASE(first_step_not_control_explains_the_control_rule) {
  auto f = LoadFailure(Replace("control: true", "control: false"));
  ExpectAt(f, 10, "steps[1]");
  BOOST_TEST(Contains(f.message, "control: true"));
  BOOST_TEST(Contains(f.message, "rejects everything"));
}

BOOST_AUTO_TEST_CASE(control_step_with_attacks) {
  auto f = LoadFailure(Replace("    control: true\n",
                               "    control: true\n"
                               "    attacks: [{id: attack.downgrade, params: {release: v1}}]\n"));
  ExpectAt(f, 12, "steps[1].attacks");
  BOOST_TEST(Contains(f.message, "cannot have attacks"));
}

BOOST_AUTO_TEST_CASE(unknown_attack_id_lists_the_known_ones) {
  auto f = LoadFailure(Replace("id: attack.downgrade", "id: attack.teleport"));
  ExpectAt(f, 16, "steps[2].attacks[1].id");
  BOOST_TEST(Contains(f.message, "'attack.teleport'"));
  BOOST_TEST(Contains(f.message, "known:"));
  BOOST_TEST(Contains(f.message, "attack.downgrade"));
  BOOST_TEST(Contains(f.message, "attack.tamper"));
}

BOOST_AUTO_TEST_CASE(a_server_model_is_not_an_attack) {
  auto f = LoadFailure(Replace("id: attack.downgrade\n        params: {release: v1}",
                               "id: server.http-poll"));
  ExpectAt(f, 16, "steps[2].attacks[1].id");
  BOOST_TEST(Contains(f.message, "server"));
}

BOOST_AUTO_TEST_CASE(bad_attack_parameter_value) {
  auto f = LoadFailure(Replace("id: attack.downgrade\n        params: {release: v1}",
                               "id: attack.tamper\n        params: {mode: nonsense}"));
  ExpectAt(f, 17, "steps[2].attacks[1].params");
  BOOST_TEST(Contains(f.message, "'nonsense'"));
  BOOST_TEST(Contains(f.message, "image-bit-flip"));
  BOOST_TEST(Contains(f.message, "attack.tamper"));
}

BOOST_AUTO_TEST_CASE(unknown_attack_parameter_name) {
  auto f = LoadFailure(Replace("{release: v1}", "{release: v1, colour: red}"));
  ExpectAt(f, 17, "steps[2].attacks[1].params");
  BOOST_TEST(Contains(f.message, "unknown parameter 'colour'"));
  BOOST_TEST(Contains(f.message, "known: release"));
}

BOOST_AUTO_TEST_CASE(missing_required_attack_parameter_points_at_the_attack) {
  auto f = LoadFailure(Replace("\n        params: {release: v1}", ""));
  ExpectAt(f, 16, "steps[2].attacks[1].params");
  BOOST_TEST(Contains(f.message, "missing required parameter 'release'"));
}

BOOST_AUTO_TEST_CASE(bad_outcome) {
  auto f = LoadFailure(Replace("outcome: rejected", "outcome: exploded"));
  ExpectAt(f, 18, "steps[2].expect.outcome");
  BOOST_TEST(Contains(f.message, "unknown outcome 'exploded'"));
}

BOOST_AUTO_TEST_CASE(bad_reason) {
  auto f = LoadFailure(Replace("reason: rollback", "reason: vibes"));
  ExpectAt(f, 18, "steps[2].expect.reason");
  BOOST_TEST(Contains(f.message, "unknown reason 'vibes'"));
}

BOOST_AUTO_TEST_CASE(bad_status_report_reason) {
  auto f = LoadFailure(Replace("reason: rollback,", "status_report: {result: rejected, reason: vibes},"));
  ExpectAt(f, 18, "steps[2].expect.status_report.reason");
}

BOOST_AUTO_TEST_CASE(expect_missing) {
  auto f = LoadFailure(Replace("    expect: {outcome: rejected, reason: rollback, running: v2}\n", ""));
  ExpectAt(f, 14, "steps[2].expect");
  BOOST_TEST(Contains(f.message, "missing required field"));
}

BOOST_AUTO_TEST_CASE(expect_empty) {
  auto f = LoadFailure(Replace("{outcome: rejected, reason: rollback, running: v2}", "{}"));
  ExpectAt(f, 14, "steps[2].expect");
  BOOST_TEST(Contains(f.message, "must expect something"));
}

BOOST_AUTO_TEST_CASE(expect_running_an_unknown_release) {
  auto f = LoadFailure(Replace("rollback, running: v2}", "rollback, running: v7}"));
  ExpectAt(f, 18, "steps[2].expect.running");
  BOOST_TEST(Contains(f.message, "'v7'"));
}

BOOST_AUTO_TEST_CASE(installs_forms) {
  TempDir temp("otasim-scenario-loader");
  for (const auto& [text, delta] : {std::pair{"unchanged", 0}, std::pair{"\"+2\"", 2}}) {
    auto spec = LoadScenario(
        temp.Write("s.yaml", Replace("reason: rollback,", std::string("installs: ") + text + ",")),
        Engine::Get().Context());
    BOOST_REQUIRE_MESSAGE(spec.ok(), (spec.ok() ? "" : spec.error().What()));
    BOOST_TEST((spec->steps[1].expect.installs_delta == delta));
  }
  for (const std::string bad : {"\"-1\"", "more", "\"+\""}) {
    auto f = LoadFailure(Replace("reason: rollback,", "installs: " + bad + ","));
    ExpectAt(f, 18, "steps[2].expect.installs");
    BOOST_TEST(Contains(f.message, "expected unchanged or +N"));
  }
}

// A count too large for a number must be an error value, not an exception out of the loader.
BOOST_AUTO_TEST_CASE(installs_with_a_huge_count_is_an_error) {
  auto f = LoadFailure(Replace("reason: rollback,", "installs: \"+99999999999999999999999\","));
  ExpectAt(f, 18, "steps[2].expect.installs");
}

BOOST_AUTO_TEST_CASE(image_requests_must_be_a_count) {
  for (const std::string bad : {"\">=x\"", "\"> 2\"", "\"=3\"", "many"}) {
    auto f = LoadFailure(Replace("reason: rollback,", "image_requests: " + bad + ","));
    ExpectAt(f, 18, "steps[2].expect.image_requests");
    BOOST_TEST(Contains(f.message, "expected N, >=N or <=N"));
  }
}

BOOST_AUTO_TEST_CASE(image_requests_forms_parse) {
  TempDir temp("otasim-scenario-loader");
  struct Case {
    std::string text;
    std::optional<std::uint64_t> min, max;
  };
  for (const Case& c : {Case{"\"2\"", 2, 2}, Case{"\">=1\"", 1, std::nullopt},
                        Case{"\"<=3\"", std::nullopt, 3}}) {
    auto spec = LoadScenario(
        temp.Write("s.yaml", Replace("reason: rollback,", "image_requests: " + c.text + ",")),
        Engine::Get().Context());
    BOOST_REQUIRE_MESSAGE(spec.ok(), (spec.ok() ? "" : spec.error().What()));
    const auto& bound = spec->steps[1].expect.image_requests;
    BOOST_REQUIRE(bound.has_value());
    BOOST_TEST((bound->min == c.min), c.text);
    BOOST_TEST((bound->max == c.max), c.text);
  }
}

BOOST_AUTO_TEST_CASE(status_report_maybe) {
  auto f = LoadFailure(Replace("reason: rollback,", "status_report: maybe,"));
  ExpectAt(f, 18, "steps[2].expect.status_report");
  BOOST_TEST(Contains(f.message, "none, truthful"));
}

BOOST_AUTO_TEST_CASE(status_report_result_outside_the_vocabulary) {
  auto f = LoadFailure(Replace("reason: rollback,", "status_report: {result: exploded},"));
  ExpectAt(f, 18, "steps[2].expect.status_report.result");
}

BOOST_AUTO_TEST_CASE(bad_step_timeout_and_action) {
  auto timeout = LoadFailure(Replace("    serve: v2\n", "    serve: v2\n    timeout: forever\n"));
  ExpectAt(timeout, 13, "steps[1].timeout");
  auto action = LoadFailure(Replace("    serve: v2\n", "    serve: v2\n    action: dance\n"));
  ExpectAt(action, 13, "steps[1].action");
  BOOST_TEST(Contains(action.message, "check, boot or none"));
}

BOOST_AUTO_TEST_CASE(serve_naming_an_unknown_release) {
  auto f = LoadFailure(Replace("serve: v2", "serve: v5"));
  ExpectAt(f, 12, "steps[1].serve");
}

BOOST_AUTO_TEST_CASE(not_yaml_at_all) {
  auto f = LoadFailure("id: test/sample\ntitle: [unclosed\nrequirements: {\n");
  BOOST_TEST(StartsWith(f.message, f.file.string() + ":"));
  BOOST_TEST(Contains(f.message, "not valid YAML"));
  BOOST_TEST((f.code == Errc::kParse));
}

BOOST_AUTO_TEST_CASE(a_scalar_document_is_not_a_scenario) {
  auto f = LoadFailure("just some words\n");
  BOOST_TEST(StartsWith(f.message, f.file.string() + ":1: "));
  BOOST_TEST(Contains(f.message, "expected a mapping"));
}

BOOST_AUTO_TEST_CASE(empty_file) {
  for (const std::string text : {"", "# only a comment\n"}) {
    auto f = LoadFailure(text);
    BOOST_TEST(f.message == f.file.string() + ":1: the file is empty");
    BOOST_TEST((f.code == Errc::kParse));
  }
}

BOOST_AUTO_TEST_CASE(missing_file) {
  auto loaded = LoadScenario(fs::temp_directory_path() / "otasim-no-such-dir/none.yaml",
                             Engine::Get().Context());
  BOOST_REQUIRE(!loaded.ok());
  BOOST_TEST(Contains(loaded.error().message(), "none.yaml"));
}

BOOST_AUTO_TEST_CASE(bad_id_form) {
  auto f = LoadFailure(Replace("id: test/sample", "id: NoSlash"));
  ExpectAt(f, 1, "id");
  BOOST_TEST(Contains(f.message, "threat/name"));
}

BOOST_AUTO_TEST_CASE(id_not_matching_the_library_path) {
  TempDir temp("otasim-scenario-loader");
  const fs::path file = temp.Write("lib/tamper/other.yaml", kValid);
  auto loaded = LoadScenario(file, Engine::Get().Context(temp.path() / "lib"));
  BOOST_REQUIRE(!loaded.ok());
  const std::string& message = loaded.error().message();
  BOOST_TEST_MESSAGE(message);
  BOOST_TEST(StartsWith(message, file.string() + ":1: id: "));
  BOOST_TEST(Contains(message, "'test/sample'"));
  BOOST_TEST(Contains(message, "'tamper/other'"));

  // The same file in its right place loads.
  const fs::path right = temp.Write("lib/test/sample.yaml", kValid);
  auto ok = LoadScenario(right, Engine::Get().Context(temp.path() / "lib"));
  BOOST_TEST(ok.ok(), (ok.ok() ? "" : ok.error().What()));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(suite_resolution_tests)

const std::vector<ScenarioSpec>& Library() {
  static const std::vector<ScenarioSpec> library = [] {
    auto loaded = LoadLibrary(Engine::Get().Context(kLibrary));
    if (!loaded) throw std::runtime_error(loaded.error().What());
    return std::move(*loaded);
  }();
  return library;
}

std::size_t CountThreat(const std::string& threat) {
  std::size_t n = 0;
  for (const auto& s : Library()) n += s.Threat() == threat ? 1 : 0;
  return n;
}

SuiteSpec Suite(std::vector<std::string> patterns) {
  SuiteSpec suite;
  suite.name = "test";
  suite.file = "/suites/test.yaml";
  suite.scenarios = std::move(patterns);
  return suite;
}

BOOST_AUTO_TEST_CASE(globs_select_by_threat_in_pattern_order) {
  const std::size_t tamper = CountThreat("tamper");
  BOOST_REQUIRE_GE(tamper, 2u);
  auto chosen = ResolveSuite(Suite({"rollback/*", "tamper/*"}), Library());
  BOOST_REQUIRE_MESSAGE(chosen.ok(), (chosen.ok() ? "" : chosen.error().What()));
  BOOST_REQUIRE_EQUAL(chosen->size(), CountThreat("rollback") + tamper);
  BOOST_TEST(chosen->front().Threat() == "rollback");
  for (std::size_t i = CountThreat("rollback"); i < chosen->size(); ++i) {
    BOOST_TEST((*chosen)[i].Threat() == "tamper");
  }
}

BOOST_AUTO_TEST_CASE(duplicates_are_collapsed) {
  auto chosen = ResolveSuite(
      Suite({"tamper/image-bit-flip", "tamper/*", "tamper/image-bit-flip", "*/image-bit-flip"}),
      Library());
  BOOST_REQUIRE_MESSAGE(chosen.ok(), (chosen.ok() ? "" : chosen.error().What()));
  BOOST_TEST(chosen->size() == CountThreat("tamper"));
  BOOST_TEST(chosen->front().id == "tamper/image-bit-flip");
  BOOST_TEST(Ids(*chosen).size() == chosen->size());
}

BOOST_AUTO_TEST_CASE(a_pattern_that_matches_nothing_is_an_error) {
  auto chosen = ResolveSuite(Suite({"tamper/*", "teleport/*"}), Library());
  BOOST_REQUIRE(!chosen.ok());
  const std::string& message = chosen.error().message();
  BOOST_TEST(Contains(message, "/suites/test.yaml"));
  BOOST_TEST(Contains(message, "'teleport/*'"));
  BOOST_TEST(Contains(message, "matches no scenario"));
}

BOOST_AUTO_TEST_CASE(the_standard_suite_resolves_to_every_library_scenario) {
  auto suite = LoadSuite(kSource / "scenarios/suites/standard.yaml");
  BOOST_REQUIRE_MESSAGE(suite.ok(), (suite.ok() ? "" : suite.error().What()));
  BOOST_TEST(suite->name == "standard");
  BOOST_TEST(suite->grading == "default");
  auto chosen = ResolveSuite(*suite, Library());
  BOOST_REQUIRE_MESSAGE(chosen.ok(), (chosen.ok() ? "" : chosen.error().What()));
  BOOST_TEST(chosen->size() == Library().size());
  BOOST_TEST((Ids(*chosen) == Ids(Library())));
}

BOOST_AUTO_TEST_CASE(suite_file_errors_name_the_field) {
  TempDir temp("otasim-scenario-loader");
  const fs::path file = temp.Write("suite.yaml", "name: s\nscenarios: []\n");
  auto suite = LoadSuite(file);
  BOOST_REQUIRE(!suite.ok());
  BOOST_TEST(StartsWith(suite.error().message(), file.string() + ":1: scenarios: "));
  const fs::path unknown = temp.Write("suite2.yaml", "name: s\nscenarios: [a/b]\nextra: 1\n");
  auto suite2 = LoadSuite(unknown);
  BOOST_REQUIRE(!suite2.ok());
  BOOST_TEST(StartsWith(suite2.error().message(), unknown.string() + ":3: extra: unknown field"));
}

BOOST_AUTO_TEST_SUITE_END()
