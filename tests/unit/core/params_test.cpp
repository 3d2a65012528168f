#define BOOST_TEST_MODULE params
#include <boost/test/unit_test.hpp>

#include "otasim/params.hpp"

using otasim::Errc;
using otasim::ParamSpec;
using otasim::Params;
using otasim::ParamType;

namespace {

std::vector<ParamSpec> Specs() {
  return {
      {"name", ParamType::kString, "dflt", "a string"},
      {"count", ParamType::kInt, "", "an int"},
      {"enabled", ParamType::kBool, "false", "a bool"},
      {"chunk", ParamType::kBytes, "64KiB", "bytes"},
      {"rate", ParamType::kPercent, "", "percent"},
      {"delay", ParamType::kDuration, "250ms", "duration"},
      {"mode", ParamType::kEnum, "flip", "enum", {"flip", "truncate"}},
      {"stages", ParamType::kList, "", "list", {"download", "install", "commit"}},
      {"tags", ParamType::kList, "", "free list"},
  };
}

Params BindOk(const std::map<std::string, std::string>& raw) {
  auto p = Params::Bind(Specs(), raw, "test");
  BOOST_REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.error().message()));
  return *p;
}

std::string BindError(const std::vector<ParamSpec>& specs, const std::map<std::string, std::string>& raw) {
  auto p = Params::Bind(specs, raw, "step 2");
  BOOST_REQUIRE(!p.ok());
  BOOST_TEST((p.error().code() == Errc::kInvalidArgument));
  return p.error().message();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(params_tests)

BOOST_AUTO_TEST_CASE(defaults_fill_in) {
  Params p = BindOk({});
  BOOST_TEST(p.GetString("name") == "dflt");
  BOOST_TEST(p.GetBool("enabled") == false);
  BOOST_TEST(p.GetBytes("chunk") == 64u * 1024);
  BOOST_TEST(p.GetDuration("delay").count() == 250);
  BOOST_TEST(p.GetString("mode") == "flip");
  BOOST_TEST(!p.Has("count"));  // optional, no default
  BOOST_TEST(p.GetInt("count") == 0);
  BOOST_TEST(p.Has("name"));
}

BOOST_AUTO_TEST_CASE(given_values_are_typed) {
  Params p = BindOk({{"name", "x"}, {"count", "-42"}, {"enabled", "true"}, {"chunk", "16MiB"},
                     {"rate", "12.5%"}, {"delay", "2s"}, {"mode", "truncate"},
                     {"stages", "download, commit"}, {"tags", "a,b"}});
  BOOST_TEST(p.GetString("name") == "x");
  BOOST_TEST(p.GetInt("count") == -42);
  BOOST_TEST(p.GetBool("enabled"));
  BOOST_TEST(p.GetBytes("chunk") == 16u << 20);
  BOOST_TEST(p.GetPercent("rate") == 12.5);
  BOOST_TEST(p.GetDuration("delay").count() == 2000);
  BOOST_TEST(p.GetString("mode") == "truncate");
  BOOST_TEST((p.GetList("stages") == std::vector<std::string>{"download", "commit"}));
  BOOST_TEST((p.GetList("tags") == std::vector<std::string>{"a", "b"}));
  BOOST_TEST(p.values().size() == 9u);
}

BOOST_AUTO_TEST_CASE(unknown_name_lists_known_ones) {
  std::string message = BindError(Specs(), {{"nmae", "x"}});
  BOOST_TEST(message.find("step 2") == 0u);
  BOOST_TEST(message.find("nmae") != std::string::npos);
  BOOST_TEST(message.find("name, count, enabled") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(required_is_enforced) {
  std::vector<ParamSpec> specs = {{"target", ParamType::kString, "", "", {}, true}};
  BOOST_TEST(BindError(specs, {}).find("target") != std::string::npos);
  BOOST_TEST(Params::Bind(specs, {{"target", "x"}}, "").ok());
}

BOOST_AUTO_TEST_CASE(each_type_rejects_bad_values) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"count", "12x"},     {"count", "1.5"},        {"count", "99999999999999999999"},
      {"enabled", "yes"},   {"enabled", "1"},        {"chunk", "-1"},
      {"chunk", "12XB"},    {"chunk", "KiB"},        {"rate", "101"},
      {"rate", "-1"},       {"rate", "nan"},         {"rate", "inf"},
      {"delay", "5"},       {"delay", "5d"},         {"delay", "-1s"},
      {"mode", "FLIP"},     {"stages", "download,boot"}, {"stages", "download,,commit"},
  };
  for (const auto& [name, value] : bad) {
    auto p = Params::Bind(Specs(), {{name, value}}, "w");
    BOOST_TEST(!p.ok(), name << "=" << value << " accepted");
    if (!p.ok()) BOOST_TEST(p.error().message().find("'" + name + "'") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(bad_default_is_reported) {
  std::vector<ParamSpec> specs = {{"n", ParamType::kInt, "ten", ""}};
  BOOST_TEST(BindError(specs, {}).find("default") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(byte_counts) {
  BOOST_TEST(*otasim::ParseByteCount("512") == 512u);
  BOOST_TEST(*otasim::ParseByteCount("512B") == 512u);
  BOOST_TEST(*otasim::ParseByteCount("64KiB") == 65536u);
  BOOST_TEST(*otasim::ParseByteCount("1GiB") == 1073741824u);
  BOOST_TEST(*otasim::ParseByteCount("2MiB") == 2097152u);
  BOOST_TEST(*otasim::ParseByteCount("1KB") == 1000u);
  BOOST_TEST(*otasim::ParseByteCount("3MB") == 3000000u);
  BOOST_TEST(*otasim::ParseByteCount("1GB") == 1000000000u);
  BOOST_TEST(!otasim::ParseByteCount("").ok());
  BOOST_TEST(!otasim::ParseByteCount("1.5MiB").ok());
  BOOST_TEST(!otasim::ParseByteCount("20000000000GiB").ok());  // overflow
}

BOOST_AUTO_TEST_CASE(durations_and_percents) {
  BOOST_TEST(otasim::ParseDuration("250ms")->count() == 250);
  BOOST_TEST(otasim::ParseDuration("1m")->count() == 60000);
  BOOST_TEST(otasim::ParseDuration("1h")->count() == 3600000);
  BOOST_TEST(otasim::ParseDuration("0")->count() == 0);
  BOOST_TEST(*otasim::ParsePercent("0") == 0.0);
  BOOST_TEST(*otasim::ParsePercent("100%") == 100.0);
  BOOST_TEST(!otasim::ParsePercent("100.1").ok());
  BOOST_TEST(!otasim::ParsePercent("%").ok());
}

BOOST_AUTO_TEST_CASE(type_names) {
  BOOST_TEST(otasim::ParamTypeName(ParamType::kBytes) == "bytes");
  BOOST_TEST(otasim::ParamTypeName(ParamType::kDuration) == "duration");
}

BOOST_AUTO_TEST_SUITE_END()
