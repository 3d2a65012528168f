#define BOOST_TEST_MODULE template_profile
#include <boost/test/unit_test.hpp>
// The template adapter's profile sections: what loads, and every mistake named by file, line
// and field.

#include <filesystem>
#include <string>

#include "support/temp_dir.hpp"
#include "target/profile.hpp"

using namespace otasim;
using namespace otasim::target;
namespace fs = std::filesystem;
using otasim::testing::TempDir;

namespace {

// A valid template profile; line numbers in the comments.
const std::string kValid =
    "name: client\n"                                                         // 1
    "summary: an OTA client\n"                                               // 2
    "adapter: template\n"                                                    // 3
    "protocols: [http]\n"                                                    // 4
    "verbs: [provision, check]\n"                                            // 5
    "release_format: {id: format.swu, params: {slot: \"{state_dir}/s\"}}\n"  // 6
    "servers: {http: server.hawkbit-ddi}\n"                                  // 7
    "server_params: {http: {poll_seconds: \"1\"}}\n"                         // 8
    "clock: faketime\n"                                                      // 9
    "commands:\n"                                                            // 10
    "  provision:\n"                                                         // 11
    "    - copy: {from: \"{initial_image}\", to: \"{state_dir}/slot.bin\"}\n"  // 12
    "  check:\n"                                                             // 13
    "    - command: /usr/bin/client\n"                                       // 14
    "      args: [\"-u\", \"{endpoint.base_url}\", \"-t\", \"{timeout_s}\"]\n"  // 15
    "      env: {TMPDIR: \"{scratch_dir}/tmp\"}\n"                           // 16
    "      mode: daemon\n"                                                   // 17
    "      until: final-report\n"                                            // 18
    "    - command: /usr/bin/client\n"                                       // 19
    "      when: installed\n"                                                // 20
    "      timeout: 5s\n"                                                    // 21
    "outcome:\n"                                                             // 22
    "  rules:\n"                                                             // 23
    "    - {log: \"signature\", outcome: rejected, reason: signature}\n"     // 24
    "    - {report: \"failure\", outcome: rejected, reason: digest}\n"       // 25
    "    - {exit: 0, outcome: installed}\n"                                  // 26
    "  default: error\n"                                                     // 27
    "observe:\n"                                                             // 28
    "  installed_file: \"{state_dir}/slot.bin\"\n";                          // 29

std::string Replace(const std::string& from, const std::string& to) {
  const auto at = kValid.find(from);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, "'" << from << "' not in the base profile");
  std::string out = kValid;
  out.replace(at, from.size(), to);
  return out;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Loads `text`, expects FILE:LINE: FIELD: at the start of the error, returns the message.
std::string ExpectError(const std::string& text, int line, const std::string& field) {
  TempDir temp("otasim-template-profile");
  const fs::path file = temp.Write("profile.yaml", text);
  auto loaded = LoadTargetProfile(file);
  BOOST_REQUIRE_MESSAGE(!loaded.ok(), "the profile loaded but should not have");
  const std::string message = loaded.error().message();
  BOOST_TEST_MESSAGE(message);
  const std::string prefix = file.string() + ":" + std::to_string(line) + ": " + field + ": ";
  BOOST_TEST(message.rfind(prefix, 0) == 0u, "expected prefix '" << prefix << "' in '" << message << "'");
  return message;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(template_profile_tests)

BOOST_AUTO_TEST_CASE(a_template_profile_loads_with_every_section) {
  TempDir temp("otasim-template-profile");
  auto p = LoadTargetProfile(temp.Write("profile.yaml", kValid));
  BOOST_REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.error().What()));
  BOOST_TEST(p->adapter == "template");
  BOOST_TEST(p->command.empty());
  BOOST_TEST(p->release_format == "format.swu");
  BOOST_TEST(p->release_format_params.at("slot") == "{state_dir}/s");
  BOOST_TEST(p->servers.at("http") == "server.hawkbit-ddi");
  BOOST_TEST(p->server_params.at("http").at("poll_seconds") == "1");
  BOOST_TEST(p->clock == "faketime");
  BOOST_REQUIRE_EQUAL(p->commands.at("provision").size(), 1u);
  BOOST_TEST((p->commands.at("provision")[0].kind == ProfileAction::Kind::kCopy));
  const auto& check = p->commands.at("check");
  BOOST_REQUIRE_EQUAL(check.size(), 2u);
  BOOST_TEST(check[0].daemon);
  BOOST_TEST(check[0].until == "final-report");
  BOOST_TEST(check[0].env.at("TMPDIR") == "{scratch_dir}/tmp");
  BOOST_TEST(check[0].line == 14);
  BOOST_TEST(check[1].when_installed);
  BOOST_TEST(check[1].timeout->count() == 5000);
  BOOST_REQUIRE_EQUAL(p->outcome_rules.size(), 3u);
  BOOST_TEST((p->outcome_rules[1].source == OutcomeRule::Source::kReport));
  BOOST_TEST(p->outcome_rules[2].exit_code == 0);
  BOOST_TEST(p->installed_file == "{state_dir}/slot.bin");
  BOOST_TEST(p->power_cut == "none");
}

BOOST_AUTO_TEST_CASE(the_contract_profile_keeps_its_defaults) {
  auto p = LoadTargetProfile(fs::path(OTASIM_SOURCE_DIR) / "targets/profiles/reference.yaml");
  BOOST_REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.error().What()));
  BOOST_TEST(p->release_format == "format.native");
  BOOST_TEST(p->servers.empty());
  BOOST_TEST(p->clock == "none");
}

BOOST_AUTO_TEST_CASE(unknown_adapter_and_misplaced_sections) {
  ExpectError(Replace("adapter: template", "adapter: satellite"), 3, "adapter");
  ExpectError(Replace("adapter: template\n", "adapter: template\ncommand: /bin/x\n"), 4, "command");
  ExpectError(Replace("adapter: template", "adapter: contract\ncommand: /bin/x"), 10, "clock");
}

BOOST_AUTO_TEST_CASE(unknown_keys_are_named) {
  auto m = ExpectError(Replace("    - {exit: 0, outcome: installed}", "    - {exit: 0, outcome: installed, colour: red}"),
                       26, "outcome.rules[3].colour");
  BOOST_TEST(Contains(m, "unknown field"));
  ExpectError(Replace("      when: installed\n", "      when: installed\n      retries: 3\n"), 21,
              "commands.check[2].retries");
  ExpectError(Replace("  installed_file:", "  slot_file: x\n  installed_file:"), 29, "observe.slot_file");
  ExpectError(Replace("{from: \"{initial_image}\",", "{from: \"{initial_image}\", mode: x,"), 12,
              "commands.provision[1].copy.mode");
}

BOOST_AUTO_TEST_CASE(wrong_types_are_named) {
  ExpectError(Replace("      args: [\"-u\", \"{endpoint.base_url}\", \"-t\", \"{timeout_s}\"]",
                      "      args: {u: x}"), 15, "commands.check[1].args");
  ExpectError(Replace("      timeout: 5s", "      timeout: soon"), 21, "commands.check[2].timeout");
  ExpectError(Replace("    - {exit: 0,", "    - {exit: zero,"), 26, "outcome.rules[3].exit");
  ExpectError(Replace("  check:\n    - command", "  check: /usr/bin/client\n  x:\n    - command"), 13,
              "commands.check");
}

BOOST_AUTO_TEST_CASE(unknown_placeholders_are_named_with_their_field) {
  auto m = ExpectError(Replace("{timeout_s}", "{timeout_secs}"), 15, "commands.check[1].args");
  BOOST_TEST(Contains(m, "unknown placeholder {timeout_secs}"));
  m = ExpectError(Replace("\"{scratch_dir}/tmp\"", "\"{scratch}/tmp\""), 16, "commands.check[1].env.TMPDIR");
  BOOST_TEST(Contains(m, "{scratch}"));
  ExpectError(Replace("\"{state_dir}/slot.bin\"\n", "\"{slot_dir}/slot.bin\"\n"), 29, "observe.installed_file");
  ExpectError(Replace("\"{state_dir}/s\"", "\"{slot}/s\""), 6, "release_format.params.slot");
  ExpectError(Replace("command: /usr/bin/client\n      when", "command: \"{bin}/client\"\n      when"), 19,
              "commands.check[2].command");
  m = ExpectError(Replace("{timeout_s}", "{timeout_s"), 15, "commands.check[1].args");
  BOOST_TEST(Contains(m, "unclosed"));
}

BOOST_AUTO_TEST_CASE(rules_are_checked) {
  auto m = ExpectError(Replace("{log: \"signature\"", "{log: \"sig(nature\""), 24, "outcome.rules[1].log");
  BOOST_TEST(Contains(m, "not a valid regular expression"));
  ExpectError(Replace("outcome: rejected, reason: signature", "outcome: refused, reason: signature"), 24,
              "outcome.rules[1].outcome");
  ExpectError(Replace("reason: signature}", "reason: bad-sig}"), 24, "outcome.rules[1].reason");
  m = ExpectError(Replace("{exit: 0, outcome", "{exit: 0, log: x, outcome"), 26, "outcome.rules[3]");
  BOOST_TEST(Contains(m, "exactly one of log, report, exit"));
  ExpectError(Replace("  default: error", "  default: pass"), 27, "outcome.default");
}

BOOST_AUTO_TEST_CASE(verbs_modes_and_sections_are_checked) {
  ExpectError(Replace("verbs: [provision, check]", "verbs: [provision, check, run]"), 5, "verbs");
  ExpectError(Replace("verbs: [provision, check]", "verbs: [check]"), 5, "verbs");
  ExpectError(Replace("verbs: [provision, check]", "verbs: [provision, check, boot]"), 11, "commands");
  ExpectError(Replace("  provision:\n", "  state:\n    - write: {path: x, text: y}\n  provision:\n"), 11,
              "commands.state");
  ExpectError(Replace("      mode: daemon\n      until: final-report\n", "      mode: daemon\n"), 14,
              "commands.check[1].until");
  ExpectError(Replace("      mode: daemon\n      until: final-report\n", "      until: final-report\n"), 17,
              "commands.check[1].until");
  ExpectError(Replace("      when: installed", "      when: failed"), 20, "commands.check[2].when");
  ExpectError(Replace("clock: faketime", "clock: ntp"), 9, "clock");
  ExpectError(Replace("servers: {http: server.hawkbit-ddi}", "servers: {coap: server.coap-poll}"), 7,
              "servers.coap");
  ExpectError(Replace("observe:\n  installed_file: \"{state_dir}/slot.bin\"\n", ""), 1, "observe");
}

BOOST_AUTO_TEST_SUITE_END()
