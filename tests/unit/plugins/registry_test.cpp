#define BOOST_TEST_MODULE builtin_plugin_registry
#include <boost/test/unit_test.hpp>

#include <set>

#include "support/plugins_fake_env.hpp"

using otasim::PluginKind;
using otasim::testing::PluginCatalog;

BOOST_AUTO_TEST_CASE(every_builtin_type_is_registered_with_its_kind) {
  const std::map<std::string, PluginKind> expected = {
      {"server.http-poll", PluginKind::kServer},
      {"attack.replay", PluginKind::kAttacker},
      {"attack.downgrade", PluginKind::kAttacker},
      {"attack.tamper", PluginKind::kAttacker},
      {"attack.mix-and-match", PluginKind::kAttacker},
      {"attack.wrong-class", PluginKind::kAttacker},
      {"attack.freeze", PluginKind::kAttacker},
      {"attack.endless-data", PluginKind::kAttacker},
      {"attack.interrupt", PluginKind::kAttacker},
      {"fault.power-loss", PluginKind::kFault}};
  for (const auto& [id, kind] : expected) {
    const otasim::TypeInfo* info = PluginCatalog::Get().Find(id);
    BOOST_REQUIRE_MESSAGE(info != nullptr, id << " is not registered");
    BOOST_TEST((info->kind == kind), id);
  }
}

BOOST_AUTO_TEST_CASE(every_type_is_documented) {
  for (const auto& info : PluginCatalog::Get().Types()) {
    BOOST_TEST(!info.version.empty(), info.id);
    BOOST_TEST(!info.summary.empty(), info.id);
    std::set<std::string> names;
    for (const auto& param : info.params) {
      BOOST_TEST(!param.help.empty(), info.id << "." << param.name);
      BOOST_TEST(names.insert(param.name).second, info.id << "." << param.name << " twice");
    }
    // Defaults must pass their own checks.
    std::map<std::string, std::string> required;
    for (const auto& param : info.params) {
      if (param.required) required[param.name] = param.choices.empty() ? "x" : param.choices[0];
    }
    auto bound = PluginCatalog::Get().Bind(info.id, required);
    BOOST_TEST(bound.ok(), info.id << ": " << (bound.ok() ? "" : bound.error().What()));
  }
}
