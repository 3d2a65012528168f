#define BOOST_TEST_MODULE mitm_scenarios
#include <boost/test/unit_test.hpp>
// The on-path attacker end to end (mitm/*, strip-tls/*): the real otasim against the real
// reference device. The secure device passes every scenario over every protocol it applies
// to; each transport flaw fails exactly the scenarios of the defence it removes.

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <unistd.h>

#include "support/run_otasim.hpp"

namespace {

using otasim::testing::RunOtasim;

// The reference profile, allowing the transport flaws should its `flaws` choices not list them
// yet: the device knows them either way.
std::string ReferenceProfile() {
  std::ifstream in(std::string(OTASIM_SOURCE_DIR) + "/targets/profiles/reference.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string yaml = text.str();
  if (yaml.find("trust-any-server-cert") == std::string::npos) {
    const std::string last = "reject-all]";
    const auto at = yaml.find(last);
    if (at != std::string::npos) {
      yaml.replace(at, last.size(),
                   "reject-all, trust-any-server-cert, no-hostname-check, plaintext-fallback]");
    }
  }
  const auto path = std::filesystem::temp_directory_path() /
                    ("otasim-mitm-profile-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << yaml;
  return path.string();
}

// verdict per "id@protocol", and per requirement id ("IDA-1") when `requirements` is given
std::map<std::string, std::string> Verdicts(const std::vector<std::string>& scenarios,
                                            const std::string& protocols, const std::string& flaws,
                                            const std::string& name, std::string* output,
                                            std::map<std::string, std::string>* requirements = nullptr) {
  static const std::string profile = ReferenceProfile();
  std::vector<std::string> args = {"--target", profile, "--protocol", protocols, "-j", "2"};
  for (const auto& s : scenarios) {
    args.push_back("--scenario");
    args.push_back(s);
  }
  if (!flaws.empty()) {
    args.push_back("--target-param");
    args.push_back("flaws=" + flaws);
  }
  const auto run = RunOtasim(args, name);
  *output = run.output;
  std::map<std::string, std::string> verdicts;
  if (!run.report.is_object()) return verdicts;
  if (requirements != nullptr) {
    for (const auto& r : run.report.at("requirements")) {
      (*requirements)[r.at("id").get<std::string>()] = r.at("verdict").get<std::string>();
    }
  }
  for (const auto& s : run.report.at("scenarios")) {
    verdicts[s.at("id").get<std::string>() + "@" + s.at("protocol").get<std::string>()] =
        s.at("verdict").get<std::string>() + (s.value("reason", "").empty() ? "" : " (" + s.value("reason", "") + ")");
  }
  return verdicts;
}

bool Is(const std::map<std::string, std::string>& verdicts, const std::string& key,
        const std::string& verdict) {
  auto it = verdicts.find(key);
  return it != verdicts.end() && it->second.rfind(verdict, 0) == 0;
}

std::string Show(const std::map<std::string, std::string>& verdicts) {
  std::string out;
  for (const auto& [key, verdict] : verdicts) out += "\n  " + key + ": " + verdict;
  return out;
}

const std::vector<std::string> kAll = {"mitm/rogue-ca", "mitm/self-signed", "mitm/wrong-name",
                                       "strip-tls/plaintext", "strip-tls/redirect"};
// Over CoAP (redirect is HTTP only).
const std::vector<std::string> kCoap = {"mitm/rogue-ca", "mitm/self-signed", "mitm/wrong-name",
                                        "strip-tls/plaintext"};

std::string Requirement(const std::map<std::string, std::string>& requirements,
                        const std::string& id) {
  auto it = requirements.find(id);
  return it == requirements.end() ? "(absent)" : it->second;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mitm_scenarios)

BOOST_AUTO_TEST_CASE(secure_device_passes_every_transport_attack) {
  std::string output;
  const auto verdicts = Verdicts(kAll, "http,mqtt", "", "mitm-secure", &output);
  BOOST_TEST_INFO(output << Show(verdicts));
  BOOST_TEST(verdicts.size() == 9u);  // redirect is HTTP only
  for (const auto& [key, verdict] : verdicts) BOOST_TEST(Is(verdicts, key, "pass"), key << ": " << verdict);
}

BOOST_AUTO_TEST_CASE(trust_any_server_cert_fails_the_rogue_certificates) {
  std::string output;
  const auto verdicts = Verdicts({"mitm/rogue-ca", "mitm/self-signed", "mitm/wrong-name"}, "http",
                                 "trust-any-server-cert", "mitm-trust-any", &output);
  BOOST_TEST_INFO(output << Show(verdicts));
  BOOST_TEST(Is(verdicts, "mitm/rogue-ca@http", "fail"));
  BOOST_TEST(Is(verdicts, "mitm/self-signed@http", "fail"));
  BOOST_TEST(Is(verdicts, "mitm/wrong-name@http", "fail"));
}

BOOST_AUTO_TEST_CASE(no_hostname_check_fails_only_the_wrong_name) {
  std::string output;
  const auto verdicts = Verdicts({"mitm/rogue-ca", "mitm/wrong-name"}, "http,mqtt",
                                 "no-hostname-check", "mitm-no-hostname", &output);
  BOOST_TEST_INFO(output << Show(verdicts));
  for (const std::string protocol : {"http", "mqtt"}) {
    BOOST_TEST(Is(verdicts, "mitm/wrong-name@" + protocol, "fail"), protocol);
    BOOST_TEST(Is(verdicts, "mitm/rogue-ca@" + protocol, "pass"), protocol);
  }
}

BOOST_AUTO_TEST_CASE(plaintext_fallback_fails_the_stripping) {
  std::string output;
  const auto verdicts = Verdicts({"strip-tls/plaintext", "strip-tls/redirect", "mitm/rogue-ca"},
                                 "http,mqtt", "plaintext-fallback", "mitm-plaintext-fallback", &output);
  BOOST_TEST_INFO(output << Show(verdicts));
  BOOST_TEST(Is(verdicts, "strip-tls/plaintext@http", "fail"));
  BOOST_TEST(Is(verdicts, "strip-tls/plaintext@mqtt", "fail"));
  BOOST_TEST(Is(verdicts, "strip-tls/redirect@http", "fail"));
  // The attacker in front of a rogue certificate does not serve plaintext: still refused.
  BOOST_TEST(Is(verdicts, "mitm/rogue-ca@http", "pass"));
}

// CoAP: the DTLS relay (sim/proxy/coap_relay). Each flaw is run on its own against every CoAP
// transport attack, so each row is the requirement verdicts of one device.
BOOST_AUTO_TEST_CASE(coap_secure_device_passes_every_transport_attack) {
  std::string output;
  std::map<std::string, std::string> requirements;
  const auto verdicts = Verdicts(kCoap, "coap", "", "mitm-coap-secure", &output, &requirements);
  BOOST_TEST_INFO(output << Show(verdicts));
  BOOST_TEST(verdicts.size() == 4u);
  for (const auto& [key, verdict] : verdicts) BOOST_TEST(Is(verdicts, key, "pass"), key << ": " << verdict);
  for (const std::string id : {"IDA-1", "IDA-2", "IDA-3"}) {
    BOOST_TEST(Requirement(requirements, id) == "pass", id);
  }
  // The evidence: the device's refusal, read from its DTLS records by the relay.
  const auto evidence = std::filesystem::path(OTASIM_TEST_BIN_DIR) / "work" /
                        std::to_string(::getpid()) / "mitm-coap-secure" / "evidence";
  std::ifstream rogue(evidence / "mitm" / "rogue-ca@coap" / "proxy.log");
  std::stringstream text;
  text << rogue.rdbuf();
  BOOST_TEST(text.str().find("the device sent alert fatal unknown_ca") != std::string::npos,
             text.str());
  std::ifstream wrong(evidence / "mitm" / "wrong-name@coap" / "proxy.log");
  std::stringstream wrong_text;
  wrong_text << wrong.rdbuf();
  BOOST_TEST(wrong_text.str().find("the device sent alert fatal bad_certificate") !=
                 std::string::npos, wrong_text.str());
}

BOOST_AUTO_TEST_CASE(coap_each_transport_flaw_fails_its_requirements) {
  // flaw -> IDA-1, IDA-2, IDA-3
  const std::map<std::string, std::vector<std::string>> matrix = {
      {"trust-any-server-cert", {"fail", "fail", "pass"}},
      {"no-hostname-check", {"pass", "fail", "pass"}},
      {"plaintext-fallback", {"pass", "pass", "fail"}},
  };
  for (const auto& [flaw, expected] : matrix) {
    std::string output;
    std::map<std::string, std::string> requirements;
    const auto verdicts = Verdicts(kCoap, "coap", flaw, "mitm-coap-" + flaw, &output, &requirements);
    BOOST_TEST_INFO(flaw << output << Show(verdicts));
    BOOST_TEST(verdicts.size() == 4u, flaw);
    BOOST_TEST(Requirement(requirements, "IDA-1") == expected[0], flaw << " IDA-1");
    BOOST_TEST(Requirement(requirements, "IDA-2") == expected[1], flaw << " IDA-2");
    BOOST_TEST(Requirement(requirements, "IDA-3") == expected[2], flaw << " IDA-3");
  }
}

BOOST_AUTO_TEST_SUITE_END()
