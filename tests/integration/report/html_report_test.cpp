#define BOOST_TEST_MODULE html_report_browser
#include <boost/test/unit_test.hpp>

// report.html in a real browser: a small real run of the reference device (with one flaw, so
// that the page has a finding to show) opened in headless Chromium. The page's script must
// have run without an error, and the rendered DOM must show the grade, the matrix and every
// scenario. A hostile page (device strings full of markup) must render them as text.
// Chromium is required: CI installs it (scripts/setup); without it this test fails.

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "report/html_report.hpp"
#include "scoring/grading.hpp"
#include "support/run_otasim.hpp"
#include "support/temp_dir.hpp"
#include "target/process.hpp"

namespace {

namespace fs = std::filesystem;
using namespace otasim;
using nlohmann::json;
using otasim::testing::Slurp;
using otasim::testing::TempDir;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

fs::path FindChromium() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
      const fs::path candidate = fs::path(dir) / name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return {};
}

struct BrowserRun {
  std::string out;  // stdout: the DOM with --dump-dom
  std::string err;  // stderr: Chromium's log, the page's console among it
};

// One headless Chromium on `page`, with its own profile, bounded in time and killed (with its
// whole process group) if it hangs.
BrowserRun RunChromium(const fs::path& page, std::vector<std::string> args) {
  const fs::path chromium = FindChromium();
  BOOST_REQUIRE_MESSAGE(!chromium.empty(),
                        "chromium is not installed (Debian package 'chromium', installed by "
                        "scripts/setup): report.html cannot be checked in a browser");
  TempDir profile("otasim-chromium");
  target::ProcessSpec spec;
  spec.argv = {chromium.string(), "--headless=new", "--no-sandbox", "--disable-gpu",
               "--no-first-run", "--disable-extensions", "--disable-background-networking",
               "--user-data-dir=" + (profile.path() / "profile").string(),
               // The page's console and uncaught errors go to stderr as INFO:CONSOLE lines.
               "--enable-logging=stderr", "--v=0"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.argv.push_back("file://" + fs::absolute(page).string());
  spec.stdout_file = profile.path() / "stdout";
  spec.stderr_file = profile.path() / "stderr";
  spec.timeout = std::chrono::seconds(120);
  auto result = target::RunProcess(spec);
  BOOST_REQUIRE_MESSAGE(result, "starting chromium: " << (result ? "" : result.error().message()));
  BrowserRun run{Slurp(spec.stdout_file), Slurp(spec.stderr_file)};
  BOOST_REQUIRE_MESSAGE(result->exited && result->exit_code == 0,
                        "chromium: " << result->Describe() << "\n" << run.err);
  return run;
}

// Console messages and uncaught errors of the page, one per line.
std::vector<std::string> PageConsole(const std::string& log) {
  std::vector<std::string> lines;
  std::stringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (Contains(line, ":CONSOLE") || Contains(line, "Uncaught")) lines.push_back(line);
  }
  return lines;
}

std::string BodyAttribute(const std::string& dom, const std::string& name) {
  const auto body = dom.find("<body");
  BOOST_REQUIRE(body != std::string::npos);
  const std::string tag = dom.substr(body, dom.find('>', body) - body);
  const auto at = tag.find(" " + name + "=\"");
  if (at == std::string::npos) return "(absent)";
  const auto start = at + name.size() + 3;
  return tag.substr(start, tag.find('"', start) - start);
}

// The DOM renders what the page's script built; it must have finished without an error.
void CheckRendered(const BrowserRun& run) {
  BOOST_TEST(BodyAttribute(run.out, "data-rendered") == "ok");
  BOOST_TEST(BodyAttribute(run.out, "data-errors") == "");
  const auto console = PageConsole(run.err);
  for (const std::string& line : console) BOOST_TEST_MESSAGE("page console: " << line);
  BOOST_TEST(console.empty());
}

// One real run shared by the test cases: baseline passes, rollback fails (the flaw), tamper
// passes.
const testing::OtasimRun& Run() {
  static const testing::OtasimRun run = testing::RunOtasim(
      {"--target", "reference", "--target-param", "flaws=no-rollback-check", "--protocol", "http",
       "--scenario", "baseline/legitimate-update", "--scenario", "rollback/signed-older",
       "--scenario", "tamper/image-bit-flip", "-j", "2"},
      "html-report");
  return run;
}

const testing::OtasimRun& CheckedRun() {
  const auto& run = Run();
  BOOST_TEST_INFO(run.output);
  BOOST_REQUIRE(run.exit_code == 1);  // the rollback finding
  BOOST_REQUIRE(run.report.is_object());
  BOOST_REQUIRE(fs::exists(fs::path(run.out_dir) / "report.html"));
  return run;
}

std::uint32_t BigEndian32(const std::string& bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(html_report_browser)

BOOST_AUTO_TEST_CASE(the_page_shows_grade_matrix_and_every_scenario) {
  const auto& run = CheckedRun();
  const BrowserRun browser = RunChromium(fs::path(run.out_dir) / "report.html", {"--dump-dom"});
  CheckRendered(browser);
  BOOST_TEST_MESSAGE("render time in chromium: " << BodyAttribute(browser.out, "data-render-ms")
                                                 << " ms; page size: "
                                                 << fs::file_size(fs::path(run.out_dir) / "report.html")
                                                 << " bytes");
  const std::string& dom = browser.out;

  const std::string level = run.report["grade"]["level"].get<std::string>();
  BOOST_TEST(Contains(dom, "id=\"grade\""));
  BOOST_TEST(Contains(dom, "<span class=\"grade-level\">" + level + "</span>"));
  for (const json& blocking : run.report["grade"]["blocking"]) {
    BOOST_TEST(Contains(dom, ">" + blocking.get<std::string>() + "</button>"));
  }

  // The matrix: a row per tested requirement; UPD-1 fails over http, as the run found.
  BOOST_TEST(Contains(dom, "id=\"matrix\""));
  for (const json& requirement : run.report["requirements"]) {
    if (requirement["assessment"] == "documentary") continue;
    BOOST_TEST(Contains(dom, "data-requirement=\"" + requirement["id"].get<std::string>() + "\""));
  }
  const auto upd1 = dom.find("data-requirement=\"UPD-1\"");
  BOOST_REQUIRE(upd1 != std::string::npos);
  const std::string upd1_row = dom.substr(upd1, dom.find("</tr>", upd1) - upd1);
  BOOST_TEST(Contains(upd1_row, "data-protocol=\"http\" data-verdict=\"fail\""));

  // A row per scenario with its verdict; the failing one is open with steps and evidence.
  BOOST_REQUIRE(run.report["scenarios"].size() == 3u);
  for (const json& scenario : run.report["scenarios"]) {
    const std::string key = scenario["id"].get<std::string>() + "@http";
    BOOST_TEST_INFO(key);
    BOOST_TEST(Contains(dom, "data-scenario=\"" + key + "\" data-verdict=\"" +
                                 scenario["verdict"].get<std::string>() + "\""));
  }
  BOOST_TEST(Contains(dom, "data-scenario=\"rollback/signed-older@http\" data-verdict=\"fail\""));
  BOOST_TEST(Contains(dom, "Steps: expected against observed"));
  BOOST_TEST(Contains(dom, "href=\"evidence/rollback/signed-older@http/timeline.json\""));
  BOOST_TEST(Contains(dom, "release-built"));  // a timeline event of the open scenario
}

BOOST_AUTO_TEST_CASE(a_screenshot_is_kept_as_an_artifact) {
  const auto& run = CheckedRun();
  const fs::path artifacts = fs::path(OTASIM_BIN_DIR).parent_path() / "test-artifacts";
  fs::create_directories(artifacts);
  const fs::path png = artifacts / "report.png";
  fs::remove(png);
  const BrowserRun browser =
      RunChromium(fs::path(run.out_dir) / "report.html",
                  {"--hide-scrollbars", "--window-size=1400,2000", "--screenshot=" + png.string()});
  BOOST_TEST(PageConsole(browser.err).empty());
  BOOST_REQUIRE_MESSAGE(fs::exists(png), "no screenshot at " << png);
  const std::string bytes = Slurp(png);
  BOOST_REQUIRE(bytes.size() > 24u);
  BOOST_TEST(bytes.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  BOOST_TEST(bytes.substr(12, 4) == "IHDR");
  BOOST_TEST(BigEndian32(bytes, 16) == 1400u);
  BOOST_TEST(BigEndian32(bytes, 20) == 2000u);
  // A blank page compresses to a few kilobytes; a rendered report with tables does not.
  BOOST_TEST(bytes.size() > 50000u);
  BOOST_TEST_MESSAGE("screenshot: " << png << " (" << bytes.size() << " bytes)");
}

BOOST_AUTO_TEST_CASE(hostile_device_strings_render_as_text) {
  TempDir out("otasim-html-hostile");
  const std::string hostile =
      "</script><img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"
      "<b>bold</b> \xFF";
  out.Write("evidence/tamper/x@http/timeline.json",
            json::array({{{"t_ms", 1}, {"source", "device"}, {"event", "log"},
                          {"details", {{"line", hostile + "</SCRIPT><script>alert(1)</script>"}}}}})
                .dump(-1, ' ', false, json::error_handler_t::replace));
  scoring::Catalogue catalogue;
  catalogue.requirements.push_back({"UPD-1", "update", "Anti-rollback", "Older is refused.", {}, "test"});
  scoring::ScenarioResult scenario;
  scenario.id = "tamper/x";
  scenario.title = hostile;
  scenario.protocol = "http";
  scenario.verdict = scoring::Verdict::kFail;  // opened from the start: steps and timeline render
  scenario.reason = hostile;
  scenario.requirements = {"UPD-1"};
  scenario.evidence_dir = "evidence/tamper/x@http";
  scenario.steps.push_back({1, "attack", false, "check", {"attack.tamper"},
                            {{"outcome", "rejected", hostile, "verb", false}}, "", 10});
  report::RunReport report;
  report.info.suite = hostile;
  report.info.target = "reference";
  report.info.protocols = {"http"};
  report.scenarios = {scenario};
  report.requirements = scoring::ScoreRequirements(catalogue, report.scenarios);
  report.grade = {"none", "bronze", {"UPD-1"}};
  report.catalogue = &catalogue;
  const fs::path page = out.Write("report.html", report::RenderHtmlReport(report, out.path()));

  const BrowserRun browser = RunChromium(page, {"--dump-dom"});
  CheckRendered(browser);
  BOOST_TEST(BodyAttribute(browser.out, "data-pwned") == "(absent)");
  BOOST_TEST(!Contains(browser.out, "<img"));
  BOOST_TEST(!Contains(browser.out, "<b>bold"));
  BOOST_TEST(Contains(browser.out, "&lt;/script&gt;&lt;img src=x onerror="));
  BOOST_TEST(Contains(browser.out, "&lt;/SCRIPT&gt;&lt;script&gt;alert(1)"));  // the timeline
}

BOOST_AUTO_TEST_SUITE_END()
