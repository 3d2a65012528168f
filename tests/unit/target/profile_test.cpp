#define BOOST_TEST_MODULE target_profile
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>

#include "target/profile.hpp"
#include "support/temp_dir.hpp"

using namespace otasim;
using namespace otasim::target;
namespace fs = std::filesystem;
using otasim::testing::TempDir;

namespace {

const fs::path kProfiles = fs::path(OTASIM_SOURCE_DIR) / "targets/profiles";

// A valid profile; line numbers in the comments.
const std::string kValid =
    "name: sample\n"                              // 1
    "summary: a sample device\n"                  // 2
    "command: \"{bin_dir}/dev\"\n"                // 3
    "args: [\"--x\", \"{x}\"]\n"                  // 4
    "protocols: [http]\n"                         // 5
    "verbs: [provision, check, state, boot]\n"    // 6
    "params:\n"                                   // 7
    "  - name: x\n"                               // 8
    "    type: string\n"                          // 9
    "    default: \"1\"\n"                        // 10
    "    help: a parameter\n"                     // 11
    "timeouts:\n"                                 // 12
    "  check: 90s\n";                             // 13

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

// Loads `text` and checks the error opens with FILE:LINE: FIELD:, returning the message.
std::string ExpectError(const std::string& text, int line, const std::string& field) {
  TempDir temp("otasim-profile");
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

BOOST_AUTO_TEST_SUITE(profile_loading_tests)

BOOST_AUTO_TEST_CASE(the_reference_profile_loads) {
  auto p = LoadTargetProfile(kProfiles / "reference.yaml");
  BOOST_REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.error().What()));
  BOOST_TEST(p->name == "reference");
  BOOST_TEST(p->adapter == "contract");
  BOOST_TEST(p->command == "{bin_dir}/otasim-device");
  BOOST_TEST(p->args.size() == 2u);
  BOOST_TEST(p->SupportsProtocol("http"));
  BOOST_TEST(p->SupportsProtocol("coap"));
  BOOST_TEST(p->SupportsProtocol("mqtt"));
  for (const char* verb : {"provision", "check", "state", "boot"}) BOOST_TEST(p->Supports(verb), verb);
  BOOST_TEST(!p->Supports("run"));
  BOOST_TEST(p->power_cut == "env");
  BOOST_REQUIRE_EQUAL(p->params.size(), 1u);
  BOOST_TEST(p->params[0].name == "flaws");
  BOOST_TEST((p->params[0].type == ParamType::kList));
  BOOST_TEST(p->params[0].choices.size() >= 5u);
  BOOST_TEST(p->Timeout("provision").count() == 20000);
  BOOST_TEST(p->Timeout("check").count() == 30000);  // the default
  BOOST_TEST(p->sha256.size() == 64u);
  BOOST_TEST(p->file == kProfiles / "reference.yaml");
}

BOOST_AUTO_TEST_CASE(the_sample_profile_loads) {
  TempDir temp("otasim-profile");
  auto p = LoadTargetProfile(temp.Write("p.yaml", kValid));
  BOOST_REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.error().What()));
  BOOST_TEST(p->power_cut == "none");
  BOOST_TEST(p->Timeout("check").count() == 90000);
  BOOST_TEST(p->params[0].default_value == "1");
}

BOOST_AUTO_TEST_CASE(missing_command) {
  const auto message = ExpectError(Replace("command: \"{bin_dir}/dev\"\n", ""), 1, "command");
  BOOST_TEST(Contains(message, "missing required field"));
}

BOOST_AUTO_TEST_CASE(unknown_field) {
  const auto message = ExpectError(kValid + "colour: red\n", 14, "colour");
  BOOST_TEST(Contains(message, "unknown field (allowed: name, summary, adapter, command"));
}

BOOST_AUTO_TEST_CASE(unknown_verb) {
  const auto message = ExpectError(Replace("state, boot]", "state, fly]"), 6, "verbs");
  BOOST_TEST(Contains(message, "unknown verb 'fly'"));
}

BOOST_AUTO_TEST_CASE(a_required_verb_missing) {
  const auto message = ExpectError(Replace("[provision, check, state, boot]", "[provision, check, boot]"), 6, "verbs");
  BOOST_TEST(Contains(message, "needs 'state'"));
  const auto no_check = ExpectError(Replace("[provision, check, state, boot]", "[provision, state]"), 6, "verbs");
  BOOST_TEST(Contains(no_check, "needs 'check'"));
}

BOOST_AUTO_TEST_CASE(unknown_adapter) {
  const auto message = ExpectError(Replace("summary: a sample device\n",
                                           "summary: a sample device\nadapter: swupdate\n"),
                                   3, "adapter");
  BOOST_TEST(Contains(message, "unknown adapter 'swupdate'"));
}

BOOST_AUTO_TEST_CASE(unknown_protocol) {
  const auto message = ExpectError(Replace("[http]", "[http, zigbee]"), 5, "protocols");
  BOOST_TEST(Contains(message, "'zigbee'"));
}

BOOST_AUTO_TEST_CASE(bad_power_cut) {
  ExpectError(kValid + "power_cut: gpio\n", 14, "power_cut");
}

BOOST_AUTO_TEST_CASE(bad_timeout) {
  for (const std::string bad : {"forever", "0s", "-5s"}) {
    const auto message = ExpectError(Replace("check: 90s", "check: " + bad), 13, "timeouts.check");
    BOOST_TEST(Contains(message, "duration"));
  }
  const auto verb = ExpectError(Replace("check: 90s", "fly: 9s"), 13, "timeouts.fly");
  BOOST_TEST(Contains(verb, "unknown verb"));
  ExpectError(Replace("  check: 90s\n", "  - 90s\n"), 13, "timeouts");
}

BOOST_AUTO_TEST_CASE(bad_param_type) {
  const auto message = ExpectError(Replace("type: string", "type: float"), 9, "params[1].type");
  BOOST_TEST(Contains(message, "unknown parameter type 'float'"));
}

BOOST_AUTO_TEST_CASE(param_without_help) {
  ExpectError(Replace("    help: a parameter\n", ""), 8, "params[1].help");
}

BOOST_AUTO_TEST_CASE(not_yaml_and_empty) {
  TempDir temp("otasim-profile");
  const fs::path broken = temp.Write("broken.yaml", "name: [x\n");
  auto a = LoadTargetProfile(broken);
  BOOST_REQUIRE(!a.ok());
  BOOST_TEST(a.error().message().rfind(broken.string() + ":", 0) == 0u);
  BOOST_TEST(Contains(a.error().message(), "not valid YAML"));
  const fs::path empty = temp.Write("empty.yaml", "");
  auto b = LoadTargetProfile(empty);
  BOOST_REQUIRE(!b.ok());
  BOOST_TEST(b.error().message() == empty.string() + ":1: the file is empty");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(template_tests)

BOOST_AUTO_TEST_CASE(known_placeholders_are_replaced) {
  const std::map<std::string, std::string> values = {{"bin_dir", "/opt/bin"}, {"flaws", "a,b"}};
  auto out = ExpandTemplate("{bin_dir}/dev --flaws={flaws} {flaws}", values);
  BOOST_REQUIRE(out.ok());
  BOOST_TEST(*out == "/opt/bin/dev --flaws=a,b a,b");
  BOOST_TEST(*ExpandTemplate("no placeholders", values) == "no placeholders");
  BOOST_TEST(*ExpandTemplate("", values) == "");
  BOOST_TEST(*ExpandTemplate("{flaws}", {{"flaws", ""}}) == "");
  // A value is not expanded again.
  BOOST_TEST(*ExpandTemplate("{a}", {{"a", "{b}"}}) == "{b}");
}

BOOST_AUTO_TEST_CASE(unknown_placeholder_lists_the_known_ones) {
  auto out = ExpandTemplate("{bin_dir}/{nope}", {{"bin_dir", "/b"}, {"flaws", ""}});
  BOOST_REQUIRE(!out.ok());
  const std::string& message = out.error().message();
  BOOST_TEST(Contains(message, "{nope}"));
  BOOST_TEST(Contains(message, "known: bin_dir, flaws"));
  BOOST_TEST((out.error().code() == Errc::kInvalidArgument));
}

BOOST_AUTO_TEST_CASE(unclosed_brace) {
  auto out = ExpandTemplate("{bin_dir}/dev {flaws", {{"bin_dir", "/b"}, {"flaws", ""}});
  BOOST_REQUIRE(!out.ok());
  BOOST_TEST(Contains(out.error().message(), "unclosed"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(find_profile_tests)

BOOST_AUTO_TEST_CASE(by_name) {
  auto path = FindTargetProfile("reference", kProfiles);
  BOOST_REQUIRE(path.ok());
  BOOST_TEST(*path == kProfiles / "reference.yaml");
}

BOOST_AUTO_TEST_CASE(by_path) {
  const std::string file = (kProfiles / "reference.yaml").string();
  auto path = FindTargetProfile(file, "/nonexistent");
  BOOST_REQUIRE(path.ok());
  BOOST_TEST(*path == fs::path(file));

  TempDir temp("otasim-profile");
  const fs::path mine = temp.Write("mine.yaml", kValid);
  auto found = FindTargetProfile(mine.string(), kProfiles);
  BOOST_REQUIRE(found.ok());
  BOOST_TEST(*found == mine);

  auto missing = FindTargetProfile((temp.path() / "absent.yaml").string(), kProfiles);
  BOOST_REQUIRE(!missing.ok());
  BOOST_TEST((missing.error().code() == Errc::kNotFound));
  BOOST_TEST(Contains(missing.error().message(), "absent.yaml"));
}

BOOST_AUTO_TEST_CASE(unknown_name_lists_the_known_ones) {
  auto path = FindTargetProfile("toaster", kProfiles);
  BOOST_REQUIRE(!path.ok());
  BOOST_TEST((path.error().code() == Errc::kNotFound));
  BOOST_TEST(Contains(path.error().message(), "'toaster'"));
  BOOST_TEST(Contains(path.error().message(), "known: "));
  BOOST_TEST(Contains(path.error().message(), "reference"));

  TempDir temp("otasim-profile");
  temp.Write("beta.yaml", kValid);
  temp.Write("alpha.yaml", kValid);
  temp.Write("notes.txt", "not a profile");
  auto local = FindTargetProfile("gamma", temp.path());
  BOOST_REQUIRE(!local.ok());
  BOOST_TEST(Contains(local.error().message(), "alpha"));
  BOOST_TEST(Contains(local.error().message(), "beta"));
  BOOST_TEST(!Contains(local.error().message(), "notes"));
}

BOOST_AUTO_TEST_SUITE_END()
