#define BOOST_TEST_MODULE html_report
#include <boost/test/unit_test.hpp>

// report.html as text: device-controlled strings stay inert data, the page loads nothing from
// outside, the matrix follows the scenario verdicts, and big timelines are cut.

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>

#include "otasim/crypto.hpp"
#include "report/html_report.hpp"
#include "report/report.hpp"
#include "report/text.hpp"
#include "scoring/grading.hpp"
#include "support/temp_dir.hpp"

using namespace otasim;
using namespace otasim::scoring;
using nlohmann::json;
namespace fs = std::filesystem;
using otasim::testing::TempDir;

namespace {

// What a hostile device could put into its status text or log lines.
const std::string kHostile =
    "</script><img src=x onerror=\"document.body.setAttribute('data-pwned','1')\"><!-- '\" & "
    "\xE2\x80\xA8 line\xE2\x80\xA9sep \xFF\xFE bad";

constexpr std::string_view kDataOpen = "<script type=\"application/json\" id=\"otasim-data\">";

Catalogue MakeCatalogue() {
  Catalogue catalogue;
  catalogue.requirements.push_back(
      {"UPD-1", "update", "Anti-rollback", "Older releases are rejected.", {"RFC 9124"}, "test"});
  catalogue.requirements.push_back(
      {"UPD-2", "update", "Replay", "Replays change nothing.", {"RFC 9124"}, "test"});
  catalogue.requirements.push_back(
      {"AUT-1", "authenticity", "Signer", "Untrusted signers are refused.", {}, "test"});
  catalogue.requirements.push_back(
      {"LCY-1", "lifecycle", "Manufacturing", "Keys are injected safely.", {}, "documentary"});
  return catalogue;
}

ScenarioResult MakeScenario(const std::string& id, const std::string& protocol, Verdict verdict,
                            std::vector<std::string> requirements) {
  ScenarioResult scenario;
  scenario.id = id;
  scenario.title = "title of " + id;
  scenario.protocol = protocol;
  scenario.verdict = verdict;
  scenario.requirements = std::move(requirements);
  scenario.duration_ms = 1500;
  scenario.evidence_dir = "evidence/" + id + "@" + protocol;
  StepResult step;
  step.index = 1;
  step.name = "legitimate update";
  step.control = true;
  step.action = "check";
  step.checks.push_back({"outcome", "installed", "installed (exit 0)", "verb", true});
  scenario.steps.push_back(step);
  return scenario;
}

report::RunReport MakeReport(const Catalogue& catalogue, std::vector<ScenarioResult> scenarios) {
  report::RunReport run;
  run.info.otasim_version = "0.1.0";
  run.info.suite = "standard";
  run.info.target = "reference";
  run.info.grading_profile = "default";
  run.info.protocols = {"http", "coap", "mqtt"};
  run.info.seed = 7;
  run.info.started = "2026-11-28T06:00:00Z";
  run.scenarios = std::move(scenarios);
  run.requirements = ScoreRequirements(catalogue, run.scenarios);
  run.grade = {"none", "bronze", {"UPD-1"}};
  run.catalogue = &catalogue;
  return run;
}

// The page with its embedded data block taken out: what the browser treats as markup and code.
std::string WithoutData(const std::string& page) {
  const auto start = page.find(kDataOpen);
  BOOST_REQUIRE(start != std::string::npos);
  const auto end = page.find("</script>", start);
  BOOST_REQUIRE(end != std::string::npos);
  return page.substr(0, start) + page.substr(end);
}

json EmbeddedData(const std::string& page) {
  const auto start = page.find(kDataOpen);
  BOOST_REQUIRE(start != std::string::npos);
  const auto body = start + kDataOpen.size();
  const auto end = page.find("</script>", body);
  BOOST_REQUIRE(end != std::string::npos);
  return json::parse(page.substr(body, end - body));
}

std::size_t Count(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// A timeline.json of `events` small events, plus optional extra raw events.
std::string Timeline(int events, const std::string& extra = "") {
  json list = json::array();
  for (int i = 0; i < events; ++i) {
    list.push_back({{"t_ms", i}, {"source", "server"}, {"event", "request"},
                    {"details", {{"resource", "/manifest"}, {"n", i}}}});
  }
  std::string text = list.dump();
  if (!extra.empty()) text.insert(text.size() - 1, (events > 0 ? "," : "") + extra);
  return text;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(html_report)

BOOST_AUTO_TEST_CASE(hostile_strings_stay_inert_data) {
  TempDir out("otasim-html");
  const Catalogue catalogue = MakeCatalogue();
  ScenarioResult scenario = MakeScenario("tamper/" + kHostile, "http", Verdict::kFail, {"UPD-1"});
  scenario.evidence_dir = "evidence/tamper/x@http";
  scenario.reason = kHostile;
  scenario.steps[0].checks[0].observed = kHostile;
  json details = {{"body", "https://evil.example/x.js"}, {"text", "</SCRIPT><script>alert(1)</script>"}};
  out.Write("evidence/tamper/x@http/timeline.json",
            json::array({{{"t_ms", 1}, {"source", "device"}, {"event", "log"},
                          {"details", details}}}).dump());
  const auto page = report::RenderHtmlReport(MakeReport(catalogue, {scenario}), out.path());

  // Only the page's own two script elements end; no device string opens an element.
  BOOST_TEST(Count(Lower(page), "</script") == 2u);
  BOOST_TEST(Count(Lower(page), "<script") == 2u);
  BOOST_TEST(page.find("<img") == std::string::npos);
  BOOST_TEST(page.find("<!--") == std::string::npos);
  BOOST_TEST(page.find("\xE2\x80\xA8") == std::string::npos);  // U+2028 is escaped
  BOOST_TEST(page.find("\xE2\x80\xA9") == std::string::npos);
  BOOST_TEST(page.find('\xFF') == std::string::npos);

  // ...and the data still says exactly what the device sent (invalid bytes as U+FFFD).
  const json data = EmbeddedData(page);
  const std::string expected_text = report::ToValidUtf8(kHostile);
  BOOST_TEST(data["scenarios"][0]["reason"].get<std::string>() == expected_text);
  BOOST_TEST(data["scenarios"][0]["id"].get<std::string>() == "tamper/" + expected_text);
  BOOST_TEST(data["scenarios"][0]["steps"][0]["checks"][0]["observed"].get<std::string>() ==
             expected_text);
  BOOST_TEST(data["scenarios"][0]["timeline"]["events"][0]["details"] == details);
}

BOOST_AUTO_TEST_CASE(embeddable_json_escapes_what_html_and_js_parsers_see) {
  const json value = {{"a", "<&>\xE2\x80\xA8\xE2\x80\xA9"}};
  const std::string text = report::EmbeddableJson(value);
  BOOST_TEST(text == R"({"a":"\u003c\u0026\u003e\u2028\u2029"})");
  BOOST_TEST(json::parse(text) == value);
}

BOOST_AUTO_TEST_CASE(the_page_loads_nothing_from_outside) {
  TempDir out("otasim-html");
  const Catalogue catalogue = MakeCatalogue();
  ScenarioResult scenario = MakeScenario("baseline/legitimate-update", "http", Verdict::kPass, {"UPD-1"});
  out.Write("evidence/baseline/legitimate-update@http/timeline.json",
            json::array({{{"t_ms", 0}, {"source", "server"}, {"event", "started"},
                          {"details", {{"base_url", "https://127.0.0.1:4433/dev-0001"}}}}}).dump());
  const auto page = report::RenderHtmlReport(MakeReport(catalogue, {scenario}), out.path());
  BOOST_TEST(page.find("https://127.0.0.1") != std::string::npos);  // in the data only

  const std::string markup = Lower(WithoutData(page));
  for (const char* reference : {"http://", "https://", "//cdn", "src=", "@import", "url(",
                                "fetch(", "xmlhttprequest", "import(", "<link", "<iframe"}) {
    BOOST_TEST_INFO(reference);
    BOOST_TEST(markup.find(reference) == std::string::npos);
  }
  // The policy forbids loading anything and pins the one inline script by its hash.
  BOOST_TEST(markup.find("default-src 'none'") != std::string::npos);
  const std::string open = "<script>";
  const auto script_start = page.rfind(open) + open.size();
  const auto script_end = page.find("</script>", script_start);
  const std::string script = page.substr(script_start, script_end - script_start);
  const std::string hash =
      "sha256-" + crypto::Base64Encode(crypto::Sha256::Of(crypto::AsBytes(script)));
  BOOST_TEST(page.find("script-src '" + hash + "'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(matrix_cells_follow_the_scenarios_of_each_protocol) {
  TempDir out("otasim-html");
  const Catalogue catalogue = MakeCatalogue();
  const auto run = MakeReport(
      catalogue, {MakeScenario("rollback/signed-older", "http", Verdict::kPass, {"UPD-1"}),
                  MakeScenario("rollback/signed-older", "coap", Verdict::kFail, {"UPD-1"}),
                  MakeScenario("rollback/signed-older", "mqtt", Verdict::kSkip, {"UPD-1"}),
                  MakeScenario("replay/same", "http", Verdict::kError, {"UPD-2"}),
                  MakeScenario("replay/same", "coap", Verdict::kPass, {"UPD-2"}),
                  MakeScenario("replay/same", "mqtt", Verdict::kXfail, {"UPD-2", "UPD-1"})});
  const auto matrix = report::ComputeRequirementMatrix(run);
  BOOST_TEST(matrix.at("UPD-1").at("http") == "pass");
  BOOST_TEST(matrix.at("UPD-1").at("coap") == "fail");
  BOOST_TEST(matrix.at("UPD-1").at("mqtt") == "fail");  // an expected failure is still one
  BOOST_TEST(matrix.at("UPD-2").at("http") == "error");
  BOOST_TEST(matrix.at("UPD-2").at("coap") == "pass");
  BOOST_TEST(matrix.at("UPD-2").at("mqtt") == "fail");
  BOOST_TEST(matrix.at("AUT-1").at("http") == "not-assessed");
  BOOST_TEST(matrix.at("LCY-1").at("coap") == "not-assessed");

  // The page carries the same cells next to the overall verdict.
  const json data = EmbeddedData(report::RenderHtmlReport(run, out.path()));
  for (const json& requirement : data["requirements"]) {
    const std::string id = requirement["id"].get<std::string>();
    BOOST_TEST_INFO(id);
    BOOST_TEST(requirement["cells"] == json(matrix.at(id)));
  }
  BOOST_TEST(data["requirements"][0]["verdict"] == "fail");  // UPD-1 overall
  BOOST_TEST(data["run"]["matrix_protocols"] == json({"http", "coap", "mqtt"}));
}

BOOST_AUTO_TEST_CASE(a_protocol_only_the_scenarios_name_gets_a_column) {
  TempDir out("otasim-html");
  const Catalogue catalogue = MakeCatalogue();
  auto run = MakeReport(catalogue, {MakeScenario("rollback/signed-older", "coap", Verdict::kPass, {"UPD-1"})});
  run.info.protocols = {"http"};
  run.catalogue = nullptr;  // a report without catalogue still gets its matrix
  const auto matrix = report::ComputeRequirementMatrix(run);
  BOOST_TEST(matrix.at("UPD-1").at("coap") == "pass");
  BOOST_TEST(matrix.at("UPD-1").at("http") == "not-assessed");
}

BOOST_AUTO_TEST_CASE(long_timelines_are_cut_with_a_note) {
  TempDir out("otasim-html");
  const Catalogue catalogue = MakeCatalogue();
  const std::string big(100000, 'x');
  out.Write("evidence/a/long@http/timeline.json",
            Timeline(1000, json({{"t_ms", 9}, {"details", {{"blob", big}}}}).dump()));
  out.Write("evidence/a/second@http/timeline.json", Timeline(50));
  out.Write("evidence/a/huge@http/timeline.json", Timeline(6000));
  report::HtmlLimits limits;
  limits.timeline_events = 10;
  limits.event_bytes = 200;
  limits.timeline_file_bytes = 300000;  // only "huge" is larger than this
  const auto run = MakeReport(catalogue, {MakeScenario("a/long", "http", Verdict::kPass, {}),
                                          MakeScenario("a/huge", "http", Verdict::kPass, {}),
                                          MakeScenario("a/second", "http", Verdict::kPass, {})});

  json data = report::HtmlPageData(run, out.path(), limits);
  const json& first = data["scenarios"][0]["timeline"];
  BOOST_TEST_INFO(first["note"].dump());
  BOOST_REQUIRE(first["events"].size() == 10u);
  BOOST_TEST(first["total"] == 1001);
  BOOST_TEST(first["events"][9]["t_ms"] == 9);
  BOOST_TEST(first["note"].get<std::string>().find("first 10 of 1001") != std::string::npos);
  const json& huge = data["scenarios"][1]["timeline"];
  BOOST_TEST(huge["events"].empty());
  BOOST_TEST(huge["note"].get<std::string>().find("too many to embed") != std::string::npos);

  // A single big event keeps when/who/what; its details are cut.
  limits.timeline_events = 2000;
  data = report::HtmlPageData(run, out.path(), limits);
  BOOST_REQUIRE(data["scenarios"][0]["timeline"]["events"].size() == 1001u);
  const json& cut = data["scenarios"][0]["timeline"]["events"][1000];
  BOOST_TEST(cut["t_ms"] == 9);
  BOOST_TEST(cut["details"].get<std::string>().size() < 300u);
  BOOST_TEST(cut["details"].get<std::string>().find("cut: 100011 bytes") != std::string::npos);

  // The page's total budget: once used up, later sessions embed nothing and say so.
  limits.total_timeline_bytes = 30000;
  data = report::HtmlPageData(run, out.path(), limits);
  const std::size_t kept = data["scenarios"][0]["timeline"]["events"].size();
  BOOST_TEST(kept > 0u);
  BOOST_TEST(kept < 1001u);
  BOOST_TEST(data["scenarios"][0]["timeline"]["note"].get<std::string>().find("used up") !=
             std::string::npos);
  BOOST_TEST(data["scenarios"][2]["timeline"]["events"].size() < 50u);
  BOOST_TEST(data.dump().size() < 60000u);
}

BOOST_AUTO_TEST_CASE(evidence_links_are_relative_and_encoded) {
  TempDir out("otasim-html");
  const Catalogue catalogue = MakeCatalogue();
  out.Write("evidence/a/b@http/timeline.json", "[]");
  out.Write("evidence/a/b@http/odd #1?.log", "x");
  out.Write("secret.txt", "not evidence");
  ScenarioResult escaping = MakeScenario("a/c", "http", Verdict::kPass, {});
  escaping.evidence_dir = "evidence/../";  // a tampered report.json must not point elsewhere
  const auto run = MakeReport(catalogue, {MakeScenario("a/b", "http", Verdict::kPass, {}), escaping});
  const json data = report::HtmlPageData(run, out.path());
  const json& files = data["scenarios"][0]["evidence_files"];
  BOOST_REQUIRE(files.size() == 2u);
  BOOST_TEST(files[0]["name"] == "odd #1?.log");
  BOOST_TEST(files[0]["href"] == "evidence/a/b@http/odd%20%231%3F.log");
  BOOST_TEST(files[1]["href"] == "evidence/a/b@http/timeline.json");
  BOOST_TEST(files[1]["bytes"] == 2);
  BOOST_TEST(data["scenarios"][1]["evidence_files"].empty());
  BOOST_TEST(data["scenarios"][1]["timeline"]["note"] == "no evidence directory");
}

BOOST_AUTO_TEST_CASE(a_missing_or_broken_timeline_is_a_note_not_an_error) {
  TempDir out("otasim-html");
  const Catalogue catalogue = MakeCatalogue();
  out.Write("evidence/a/broken@http/timeline.json", "[{\"t_ms\": 1,");
  const auto run = MakeReport(catalogue, {MakeScenario("a/broken", "http", Verdict::kPass, {}),
                                          MakeScenario("a/missing", "http", Verdict::kPass, {})});
  const json data = report::HtmlPageData(run, out.path());
  BOOST_TEST(data["scenarios"][0]["timeline"]["note"].get<std::string>().find("cannot be read") !=
             std::string::npos);
  BOOST_TEST(data["scenarios"][1]["timeline"]["note"] == "no timeline.json");
}

BOOST_AUTO_TEST_CASE(write_reports_writes_the_page_next_to_report_json) {
  TempDir out("otasim-html");
  const Catalogue catalogue = MakeCatalogue();
  const auto run = MakeReport(catalogue, {MakeScenario("a/b", "http", Verdict::kPass, {"UPD-1"})});
  BOOST_REQUIRE(report::WriteReports(run, out.path()));
  const std::string page = otasim::testing::Slurp(out.path() / "report.html");
  BOOST_TEST(page.rfind("<!DOCTYPE html>", 0) == 0u);
  BOOST_TEST(EmbeddedData(page)["scenarios"][0]["id"] == "a/b");
}

BOOST_AUTO_TEST_SUITE_END()
