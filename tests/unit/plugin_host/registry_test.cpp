#define BOOST_TEST_MODULE plugin_host_registry
#include <boost/test/unit_test.hpp>

#include <map>
#include <set>
#include <string>

#include "plugin_host/registry.hpp"

using namespace otasim;
using namespace otasim::plugin_host;

namespace {

const std::map<std::string, PluginKind> kBuiltins = {
    {"server.http-poll", PluginKind::kServer},
    {"server.coap-poll", PluginKind::kServer},
    {"server.mqtt-jobs", PluginKind::kServer},
    {"server.hawkbit-ddi", PluginKind::kServer},
    {"attack.mqtt-publish", PluginKind::kAttacker},
    {"attack.replay", PluginKind::kAttacker},
    {"attack.downgrade", PluginKind::kAttacker},
    {"attack.tamper", PluginKind::kAttacker},
    {"attack.mix-and-match", PluginKind::kAttacker},
    {"attack.wrong-class", PluginKind::kAttacker},
    {"attack.freeze", PluginKind::kAttacker},
    {"attack.endless-data", PluginKind::kAttacker},
    {"attack.interrupt", PluginKind::kAttacker},
    {"attack.mitm", PluginKind::kAttacker},
    {"attack.strip-tls", PluginKind::kAttacker},
    {"attack.slow", PluginKind::kAttacker},
    {"attack.redirect", PluginKind::kAttacker},
    {"attack.key-injection", PluginKind::kAttacker},
    {"fault.power-loss", PluginKind::kFault},
    {"format.native", PluginKind::kFormat},
    {"format.swu", PluginKind::kFormat}};

struct Loaded {
  Registry registry;
  Loaded() {
    Status ok = registry.LoadBuiltins();
    BOOST_REQUIRE_MESSAGE(ok.ok(), (ok.ok() ? "" : ok.error().What()));
  }
};

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

OtasimPluginInfo Info(std::uint16_t major, std::uint16_t minor, const char* fingerprint) {
  return OtasimPluginInfo{sizeof(OtasimPluginInfo), major, minor, "attack.example", "1.2.3",
                          fingerprint};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_tests)

BOOST_AUTO_TEST_CASE(load_builtins_registers_every_builtin_id) {
  Loaded l;
  for (const auto& [id, kind] : kBuiltins) {
    const RegisteredType* type = l.registry.Find(id);
    BOOST_REQUIRE_MESSAGE(type != nullptr, id << " is not registered");
    BOOST_TEST((type->info.kind == kind), id);
    BOOST_TEST(type->origin.path == "builtin", id);
    BOOST_TEST(type->info.id == id);
    // The factory of its kind is set, the others are not.
    BOOST_TEST(static_cast<bool>(type->attacker) == (kind == PluginKind::kAttacker), id);
    BOOST_TEST(static_cast<bool>(type->fault) == (kind == PluginKind::kFault), id);
    BOOST_TEST(static_cast<bool>(type->server) == (kind == PluginKind::kServer), id);
  }
  const auto all = l.registry.All();
  BOOST_TEST(all.size() == kBuiltins.size());
  for (std::size_t i = 1; i < all.size(); ++i) BOOST_TEST((all[i - 1]->info.id < all[i]->info.id), all[i]->info.id);
  BOOST_TEST(l.registry.Origins().size() == kBuiltins.size());
  for (const auto& origin : l.registry.Origins()) {
    BOOST_TEST(origin.path == "builtin");
    BOOST_TEST(origin.sha256.empty());
  }
}

BOOST_AUTO_TEST_CASE(an_empty_registry_knows_nothing) {
  Registry registry;
  BOOST_TEST(registry.Find("attack.tamper") == nullptr);
  auto r = registry.Require("attack.tamper");
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(Contains(r.error().message(), "(none)"));
}

BOOST_AUTO_TEST_CASE(require_an_unknown_id_lists_the_known_ones) {
  Loaded l;
  auto r = l.registry.Require("attack.teleport");
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST((r.error().code() == Errc::kNotFound));
  const std::string& message = r.error().message();
  BOOST_TEST(Contains(message, "'attack.teleport'"));
  for (const auto& [id, kind] : kBuiltins) BOOST_TEST(Contains(message, id), id);

  // Restricted to a kind, only that kind's ids are listed.
  auto faults = l.registry.Require("fault.flood", PluginKind::kFault);
  BOOST_REQUIRE(!faults.ok());
  BOOST_TEST(Contains(faults.error().message(), "fault.power-loss"));
  BOOST_TEST(!Contains(faults.error().message(), "attack.tamper"));
}

BOOST_AUTO_TEST_CASE(require_with_the_wrong_kind_explains) {
  Loaded l;
  auto ok = l.registry.Require("attack.tamper", PluginKind::kAttacker);
  BOOST_REQUIRE(ok.ok());
  BOOST_TEST((*ok)->info.id == "attack.tamper");
  BOOST_TEST(l.registry.Require("attack.tamper").ok());

  auto wrong = l.registry.Require("server.http-poll", PluginKind::kAttacker);
  BOOST_REQUIRE(!wrong.ok());
  const std::string& message = wrong.error().message();
  BOOST_TEST_MESSAGE(message);
  BOOST_TEST(Contains(message, "'server.http-poll' is a server"));
  BOOST_TEST(Contains(message, "attacker"));
  BOOST_TEST(Contains(message, "attack.tamper"));
  BOOST_TEST(!Contains(message, "fault.power-loss"));
}

BOOST_AUTO_TEST_CASE(create_attacker_binds_params) {
  Loaded l;
  auto tamper = l.registry.CreateAttacker("attack.tamper", {{"mode", "image-bit-flip"}}, "step 2");
  BOOST_REQUIRE_MESSAGE(tamper.ok(), (tamper.ok() ? "" : tamper.error().What()));
  BOOST_TEST(tamper->get() != nullptr);

  auto bad = l.registry.CreateAttacker("attack.tamper", {{"mode", "nonsense"}}, "scenario x.yaml, step 2");
  BOOST_REQUIRE(!bad.ok());
  BOOST_TEST((bad.error().code() == Errc::kInvalidArgument));
  BOOST_TEST_MESSAGE(bad.error().message());
  BOOST_TEST(bad.error().message().rfind("scenario x.yaml, step 2, attack.tamper: ", 0) == 0u);
  BOOST_TEST(Contains(bad.error().message(), "'nonsense'"));

  auto unknown = l.registry.CreateAttacker("attack.downgrade", {{"release", "v1"}, {"colour", "red"}}, "step 3");
  BOOST_REQUIRE(!unknown.ok());
  BOOST_TEST(Contains(unknown.error().message(), "step 3, attack.downgrade: unknown parameter 'colour'"));

  auto missing = l.registry.CreateAttacker("attack.downgrade", {}, "step 4");
  BOOST_REQUIRE(!missing.ok());
  BOOST_TEST(Contains(missing.error().message(), "step 4, attack.downgrade: missing required parameter 'release'"));
}

BOOST_AUTO_TEST_CASE(create_checks_the_kind) {
  Loaded l;
  auto fault_as_attacker = l.registry.CreateAttacker("fault.power-loss", {}, "step 1");
  BOOST_REQUIRE(!fault_as_attacker.ok());
  BOOST_TEST((fault_as_attacker.error().code() == Errc::kNotFound));

  auto fault = l.registry.CreateFault("fault.power-loss", {{"stage", "download"}}, "step 1");
  BOOST_REQUIRE_MESSAGE(fault.ok(), (fault.ok() ? "" : fault.error().What()));
  BOOST_TEST(fault->get() != nullptr);
  auto bad_fault = l.registry.CreateFault("fault.power-loss", {{"at", "150"}}, "step 1");
  BOOST_TEST(!bad_fault.ok());

  auto server = l.registry.CreateServer("server.http-poll", {}, "run");
  BOOST_REQUIRE_MESSAGE(server.ok(), (server.ok() ? "" : server.error().What()));
  BOOST_TEST(server->get() != nullptr);
  BOOST_TEST(!l.registry.CreateServer("attack.tamper", {{"mode", "rogue-key"}}, "run").ok());
}

BOOST_AUTO_TEST_CASE(a_second_registration_of_an_id_is_refused) {
  Loaded l;
  const RegisteredType* before = l.registry.Find("attack.tamper");
  const std::string summary = before->info.summary;

  Status again = l.registry.LoadBuiltins();
  BOOST_REQUIRE(!again.ok());
  BOOST_TEST((again.error().code() == Errc::kPlugin));
  BOOST_TEST_MESSAGE(again.error().message());
  BOOST_TEST(Contains(again.error().message(), "already registered by builtin"));
  BOOST_TEST(l.registry.All().size() == kBuiltins.size());
  BOOST_TEST(l.registry.Origins().size() == kBuiltins.size(), "a refused plugin is no origin");

  // Registering straight through the Registrar interface does not replace the first either.
  TypeInfo impostor;
  impostor.id = "attack.tamper";
  impostor.summary = "impostor";
  impostor.kind = PluginKind::kAttacker;
  l.registry.AddAttacker(impostor, [](const Params&) { return std::unique_ptr<Attacker>(); });
  BOOST_TEST(l.registry.Find("attack.tamper") == before);
  BOOST_TEST(l.registry.Find("attack.tamper")->info.summary == summary);
  BOOST_TEST(l.registry.CreateAttacker("attack.tamper", {{"mode", "rogue-key"}}, "s").ok());
}

BOOST_AUTO_TEST_CASE(a_factory_that_builds_nothing_is_an_error) {
  Registry registry;
  TypeInfo info;
  info.id = "attack.nothing";
  info.kind = PluginKind::kAttacker;
  registry.AddAttacker(info, [](const Params&) { return std::unique_ptr<Attacker>(); });
  auto built = registry.CreateAttacker("attack.nothing", {}, "step 1");
  BOOST_REQUIRE(!built.ok());
  BOOST_TEST((built.error().code() == Errc::kPlugin));
  BOOST_TEST(Contains(built.error().message(), "step 1: attack.nothing built nothing"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(compatibility_tests)

BOOST_AUTO_TEST_CASE(the_host_build_is_accepted) {
  const auto info = Info(OTASIM_ABI_MAJOR, OTASIM_ABI_MINOR, OTASIM_BUILD_FINGERPRINT);
  Status ok = CheckCompatibility(info, "/plugins/example.so");
  BOOST_TEST(ok.ok(), (ok.ok() ? "" : ok.error().What()));
}

BOOST_AUTO_TEST_CASE(abi_major_mismatch_is_refused_naming_both_versions) {
  const std::string host = std::to_string(OTASIM_ABI_MAJOR) + "." + std::to_string(OTASIM_ABI_MINOR);
  for (std::uint16_t major : {std::uint16_t(OTASIM_ABI_MAJOR + 1), std::uint16_t(OTASIM_ABI_MAJOR - 1)}) {
    const auto info = Info(major, OTASIM_ABI_MINOR, OTASIM_BUILD_FINGERPRINT);
    Status s = CheckCompatibility(info, "/plugins/example.so");
    BOOST_REQUIRE(!s.ok());
    const std::string& message = s.error().message();
    BOOST_TEST_MESSAGE(message);
    BOOST_TEST((s.error().code() == Errc::kPlugin));
    BOOST_TEST(Contains(message, "/plugins/example.so"));
    BOOST_TEST(Contains(message, "ABI " + std::to_string(major) + "." + std::to_string(OTASIM_ABI_MINOR)));
    BOOST_TEST(Contains(message, "ABI " + host));
  }
}

BOOST_AUTO_TEST_CASE(a_newer_abi_minor_is_refused) {
  const auto info = Info(OTASIM_ABI_MAJOR, OTASIM_ABI_MINOR + 1, OTASIM_BUILD_FINGERPRINT);
  Status s = CheckCompatibility(info, "/plugins/example.so");
  BOOST_REQUIRE(!s.ok());
  const std::string plugin =
      std::to_string(OTASIM_ABI_MAJOR) + "." + std::to_string(OTASIM_ABI_MINOR + 1);
  const std::string host = std::to_string(OTASIM_ABI_MAJOR) + "." + std::to_string(OTASIM_ABI_MINOR);
  BOOST_TEST(Contains(s.error().message(), "ABI " + plugin));
  BOOST_TEST(Contains(s.error().message(), "ABI " + host));
#if OTASIM_ABI_MINOR > 0
  // An older minor is compatible.
  BOOST_TEST(CheckCompatibility(Info(OTASIM_ABI_MAJOR, OTASIM_ABI_MINOR - 1, OTASIM_BUILD_FINGERPRINT),
                                "/plugins/example.so").ok());
#endif
}

BOOST_AUTO_TEST_CASE(a_fingerprint_mismatch_names_both_fingerprints) {
  const auto info = Info(OTASIM_ABI_MAJOR, OTASIM_ABI_MINOR, "otasim-0.1.0;cxx=other;nosan");
  Status s = CheckCompatibility(info, "/plugins/example.so");
  BOOST_REQUIRE(!s.ok());
  const std::string& message = s.error().message();
  BOOST_TEST_MESSAGE(message);
  BOOST_TEST((s.error().code() == Errc::kPlugin));
  BOOST_TEST(Contains(message, "'otasim-0.1.0;cxx=other;nosan'"));
  BOOST_TEST(Contains(message, std::string("'") + OTASIM_BUILD_FINGERPRINT + "'"));
  BOOST_TEST(Contains(message, "/plugins/example.so"));

  const auto none = Info(OTASIM_ABI_MAJOR, OTASIM_ABI_MINOR, nullptr);
  Status n = CheckCompatibility(none, "/plugins/example.so");
  BOOST_REQUIRE(!n.ok());
  BOOST_TEST(Contains(n.error().message(), "(none)"));
}

BOOST_AUTO_TEST_CASE(a_plugin_without_id_is_refused) {
  auto info = Info(OTASIM_ABI_MAJOR, OTASIM_ABI_MINOR, OTASIM_BUILD_FINGERPRINT);
  info.plugin_id = "";
  BOOST_TEST(!CheckCompatibility(info, "/p.so").ok());
  info.plugin_id = nullptr;
  BOOST_TEST(!CheckCompatibility(info, "/p.so").ok());
  info.plugin_id = "attack.example";
  info.plugin_version = nullptr;
  BOOST_TEST(!CheckCompatibility(info, "/p.so").ok());
}

BOOST_AUTO_TEST_SUITE_END()
