#define BOOST_TEST_MODULE report_junit
#include <boost/test/unit_test.hpp>

#include <sstream>

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>

#include "report/report.hpp"
#include "report/text.hpp"

using namespace otasim;
using namespace otasim::scoring;
namespace pt = boost::property_tree;

namespace {

ScenarioResult MakeScenario(std::string id, std::string protocol, Verdict verdict,
                            std::string reason = "") {
  ScenarioResult scenario;
  scenario.id = std::move(id);
  scenario.protocol = std::move(protocol);
  scenario.verdict = verdict;
  scenario.reason = std::move(reason);
  scenario.requirements = {"UPD-1"};
  scenario.duration_ms = 1500;
  StepResult step;
  step.index = 1;
  step.name = "serve v1";
  step.action = "check";
  step.attacks = {"replay"};
  step.checks.push_back(CheckResult{"outcome", "rejected", "installed", "verb", false});
  scenario.steps.push_back(step);
  return scenario;
}

report::RunReport MakeReport() {
  report::RunReport run;
  run.info.suite = "default";
  run.info.protocols = {"http", "coap"};
  run.scenarios = {
      MakeScenario("downgrade/signed-older", "coap", Verdict::kFail, "step 1 (serve v1): bad"),
      MakeScenario("downgrade/signed-older", "http", Verdict::kPass),
      MakeScenario("tls/rogue-cert", "http", Verdict::kError, "step 1: adapter crashed"),
      MakeScenario("tls/strip", "http", Verdict::kSkip, "protocol has no TLS"),
      MakeScenario("keys/rotation", "http", Verdict::kXfail, "known weakness"),
      MakeScenario("keys/revoked", "mqtt", Verdict::kXpass),
  };
  run.grade.grade = "none";
  return run;
}

// Structural checks every XML 1.0 consumer relies on and a lenient parser may not enforce.
void RequireWellFormedCharacters(const std::string& xml) {
  BOOST_TEST(report::ToValidUtf8(xml) == xml, "junit.xml is not valid UTF-8");
  for (unsigned char c : xml) {
    BOOST_TEST((c >= 0x20 || c == '\t' || c == '\n'), "raw control character " << int(c));
  }
}

pt::ptree Parse(const std::string& xml) {
  std::istringstream in(xml);
  pt::ptree tree;
  BOOST_REQUIRE_NO_THROW(pt::read_xml(in, tree));
  return tree;
}

std::vector<const pt::ptree*> Children(const pt::ptree& node, const std::string& name) {
  std::vector<const pt::ptree*> out;
  for (const auto& [key, child] : node) {
    if (key == name) out.push_back(&child);
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(structure_one_suite_per_protocol) {
  std::string xml = report::ToJunitXml(MakeReport());
  RequireWellFormedCharacters(xml);
  pt::ptree tree = Parse(xml);
  const pt::ptree& root = tree.get_child("testsuites");
  BOOST_TEST(root.get<int>("<xmlattr>.tests") == 6);
  BOOST_TEST(root.get<int>("<xmlattr>.failures") == 2);  // fail + xpass
  BOOST_TEST(root.get<int>("<xmlattr>.errors") == 1);
  BOOST_TEST(root.get<int>("<xmlattr>.skipped") == 2);  // skip + xfail

  auto suites = Children(root, "testsuite");
  BOOST_REQUIRE(suites.size() == 3u);
  // Requested protocols first (http, coap), then the rest in order of appearance.
  BOOST_TEST(suites[0]->get<std::string>("<xmlattr>.name") == "otasim.http");
  BOOST_TEST(suites[1]->get<std::string>("<xmlattr>.name") == "otasim.coap");
  BOOST_TEST(suites[2]->get<std::string>("<xmlattr>.name") == "otasim.mqtt");
  BOOST_TEST(suites[0]->get<int>("<xmlattr>.tests") == 4);
  BOOST_TEST(suites[0]->get<std::string>("<xmlattr>.time") == "6.000");

  auto http = Children(*suites[0], "testcase");
  BOOST_REQUIRE(http.size() == 4u);
  BOOST_TEST(http[0]->get<std::string>("<xmlattr>.name") == "downgrade/signed-older");
  BOOST_TEST(http[0]->get<std::string>("<xmlattr>.classname") == "otasim.http.downgrade");
  BOOST_TEST(http[0]->get<std::string>("<xmlattr>.time") == "1.500");
  BOOST_TEST(!http[0]->get_child_optional("failure"));
  BOOST_TEST(http[1]->get<std::string>("error.<xmlattr>.message") == "step 1: adapter crashed");
  BOOST_TEST(http[2]->get<std::string>("skipped.<xmlattr>.message") == "protocol has no TLS");
  BOOST_TEST(http[3]->get<std::string>("skipped.<xmlattr>.message") ==
             "expected failure: known weakness");

  auto coap = Children(*suites[1], "testcase");
  BOOST_REQUIRE(coap.size() == 1u);
  BOOST_TEST(coap[0]->get<std::string>("failure.<xmlattr>.message") == "step 1 (serve v1): bad");
  std::string out = coap[0]->get<std::string>("system-out");
  BOOST_TEST(out.find("FAIL  outcome: expected rejected, observed installed (verb)") !=
             std::string::npos, out);
  BOOST_TEST(out.find("attacks: replay") != std::string::npos, out);

  auto mqtt = Children(*suites[2], "testcase");
  BOOST_REQUIRE(mqtt.size() == 1u);
  BOOST_TEST(mqtt[0]->get<std::string>("failure.<xmlattr>.type") == "xpass");
}

BOOST_AUTO_TEST_CASE(attribute_and_text_escaping) {
  report::RunReport run;
  run.info.suite = "s&\"<'>";
  std::string nasty = std::string("a \"quote\" <tag> & 'apos' ]]> \t tab\nline\r\x01\x1b[31m \xff end");
  ScenarioResult scenario = MakeScenario("odd/\"id\"&<x>", "http", Verdict::kFail, nasty);
  scenario.steps[0].checks[0].observed = nasty;
  run.scenarios = {scenario};
  std::string xml = report::ToJunitXml(run);
  RequireWellFormedCharacters(xml);
  BOOST_TEST(xml.find("]]>") == std::string::npos);
  BOOST_TEST(xml.find("message=\"a &quot;quote&quot; &lt;tag&gt; &amp; &apos;apos&apos; ]]&gt; "
                      "&#9; tab&#10;line&#13;\\x01\\x1B[31m \xEF\xBF\xBD end\"") !=
             std::string::npos, xml);

  pt::ptree tree = Parse(xml);
  const pt::ptree& testcase = tree.get_child("testsuites.testsuite.testcase");
  BOOST_TEST(testcase.get<std::string>("<xmlattr>.name") == "odd/\"id\"&<x>");
  BOOST_TEST(testcase.get<std::string>("<xmlattr>.classname") == "otasim.http.odd");
  BOOST_TEST(testcase.get<std::string>("failure").find("<tag> & 'apos'") != std::string::npos);
  BOOST_TEST(tree.get<std::string>("testsuites.<xmlattr>.name") == "otasim s&\"<'>");
}

BOOST_AUTO_TEST_CASE(escape_helpers) {
  BOOST_TEST(report::XmlEscapeText("a<b>&\"'") == "a&lt;b&gt;&amp;\"'");
  BOOST_TEST(report::XmlEscapeAttribute("a<b>&\"'\n") == "a&lt;b&gt;&amp;&quot;&apos;&#10;");
  BOOST_TEST(report::XmlEscapeText(std::string("\0x", 2)) == "\\x00x");
  BOOST_TEST(report::XmlEscapeText("\xEF\xBF\xBE") == "\\uFFFE");
  BOOST_TEST(report::XmlEscapeText("caf\xC3\xA9 \xE2\x80\x94") == "caf\xC3\xA9 \xE2\x80\x94");
  // Overlong, surrogate and truncated sequences are not UTF-8.
  BOOST_TEST(report::ToValidUtf8("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");
  BOOST_TEST(report::ToValidUtf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  BOOST_TEST(report::ToValidUtf8("ok\xE2\x80") == "ok\xEF\xBF\xBD\xEF\xBF\xBD");
  BOOST_TEST(report::ToValidUtf8("\xF0\x9F\x98\x80") == "\xF0\x9F\x98\x80");
}

BOOST_AUTO_TEST_CASE(empty_run_is_valid_xml) {
  std::string xml = report::ToJunitXml(report::RunReport{});
  pt::ptree tree = Parse(xml);
  BOOST_TEST(tree.get<int>("testsuites.<xmlattr>.tests") == 0);
}
