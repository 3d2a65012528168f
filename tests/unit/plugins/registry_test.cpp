#define BOOST_TEST_MODULE builtin_plugin_registry
#include <boost/test/unit_test.hpp>

#include <map>
#include <set>
#include <string>

#include "support/plugins_fake_env.hpp"

using otasim::testing::PluginCatalog;

// Which ids are built in, and of which kind, is checked against the real registry in
// unit/plugin_host/registry_test.cpp (the same registration functions fill this catalogue).
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
