#define BOOST_TEST_MODULE report_run_manifest
#include <boost/test/unit_test.hpp>

// The reproduce record: shards, its JSON form, and which differences make two runs different.

#include "report/run_manifest.hpp"

using namespace otasim;
using report::ReproduceRecord;

namespace {

ReproduceRecord MakeRecord() {
  ReproduceRecord r;
  r.otasim_version = "0.1.0";
  r.abi = "2.0";
  r.build_fingerprint = "otasim-0.1.0;cxx=12";
  r.seed = 7;
  r.jobs = 2;
  r.protocols = {"http"};
  r.target = {"reference", "/src/targets/profiles/reference.yaml", std::string(64, 't')};
  r.target_params = {{"flaws", "skip-digest"}};
  r.suite = {"standard", "/src/scenarios/suites/standard.yaml", std::string(64, 's')};
  r.selection = {"rollback/*", "tamper/image-bit-flip"};
  r.scenarios = {{"rollback/signed-older", "/src/a.yaml", std::string(64, '1')},
                 {"tamper/image-bit-flip", "/src/b.yaml", std::string(64, '2')}};
  r.plan = {"rollback/signed-older@http", "tamper/image-bit-flip@http"};
  r.grading_profile = {"default", "/src/p.yaml", std::string(64, 'g')};
  r.catalogue = {"requirements", "/src/r.yaml", std::string(64, 'c')};
  r.plugins = {{"attack.tamper", "1.0.0", "builtin", "", {"attack.tamper 1.0.0"}},
               {"attack.noop", "0.1.0", "/plugins/libnoop.so", std::string(64, 'n'), {"attack.noop 0.1.0"}}};
  r.data_dir = "/src";
  r.plugin_dirs = {"/plugins"};
  r.shard = {2, 3};
  r.remote = {"192.0.2.2:8443", "/keys", "/bin/reset {bundle_dir}", ""};
  r.command_line = {"otasim", "run", "--shard", "2/3"};
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(run_manifest)

BOOST_AUTO_TEST_CASE(shards_parse_and_slice_round_robin) {
  auto shard = report::ParseShard("2/3");
  BOOST_REQUIRE(shard.ok());
  BOOST_TEST(shard->index == 2);
  BOOST_TEST(shard->count == 3);
  BOOST_TEST(!shard->Contains(0));
  BOOST_TEST(shard->Contains(1));
  BOOST_TEST(!shard->Contains(2));
  BOOST_TEST(shard->Contains(4));
  BOOST_TEST(report::ShardText(*shard) == "2/3");
  for (const char* bad : {"0/3", "4/3", "1/0", "3", "a/b", "1/2/3", "-1/2", "1/", ""}) {
    auto parsed = report::ParseShard(bad);
    BOOST_TEST(!parsed.ok(), bad);
    if (!parsed.ok()) BOOST_TEST(parsed.error().message().find("--shard") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(the_record_survives_json) {
  const ReproduceRecord record = MakeRecord();
  auto back = report::ReproduceFromJson(report::ToJson(record), "report.json");
  BOOST_REQUIRE(back.ok());
  BOOST_TEST(report::ToJson(*back) == report::ToJson(record));
  BOOST_TEST(back->shard.index == 2);
  BOOST_TEST(back->plugins.at(1).sha256 == std::string(64, 'n'));
  BOOST_TEST(back->remote.listen == "192.0.2.2:8443");
  BOOST_TEST(back->remote.keys == "/keys");
  BOOST_TEST(back->remote.reset == "/bin/reset {bundle_dir}");

  // Records written before remote devices have no `remote`: a rerun of them still works.
  auto older = report::ToJson(record);
  older.erase("remote");
  auto read_older = report::ReproduceFromJson(older, "old/report.json");
  BOOST_REQUIRE(read_older.ok());
  BOOST_TEST(read_older->remote.listen.empty());

  auto broken = report::ToJson(record);
  broken.erase("seed");
  auto refused = report::ReproduceFromJson(broken, "x/report.json");
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.error().message().find("x/report.json") != std::string::npos);
  BOOST_TEST(refused.error().message().find("seed") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(machine_and_invocation_details_do_not_make_a_different_run) {
  const ReproduceRecord a = MakeRecord();
  ReproduceRecord b = MakeRecord();
  b.jobs = 8;
  b.shard = {1, 3};
  b.command_line = {"otasim", "run"};
  b.data_dir = "/elsewhere";
  b.target.path = "/elsewhere/reference.yaml";
  b.plugins[1].origin = "/elsewhere/libnoop.so";
  BOOST_TEST(report::CompareRecords(a, b).empty());
}

BOOST_AUTO_TEST_CASE(changed_inputs_are_named) {
  const ReproduceRecord a = MakeRecord();
  ReproduceRecord b = MakeRecord();
  b.scenarios[1].sha256 = std::string(64, '9');
  b.seed = 8;
  b.plugins[1].sha256 = std::string(64, 'm');
  b.target_params["flaws"] = "none";
  const auto differences = report::CompareRecords(a, b);
  BOOST_REQUIRE(differences.size() == 4u);
  auto mentions = [&](const std::string& part) {
    for (const auto& d : differences) {
      if (d.find(part) != std::string::npos) return true;
    }
    return false;
  };
  BOOST_TEST(mentions("scenario 'tamper/image-bit-flip'"));
  BOOST_TEST(mentions("seed: '7' recorded, '8' now"));
  BOOST_TEST(mentions("plugin attack.noop"));
  BOOST_TEST(mentions("target parameters"));

  ReproduceRecord c = MakeRecord();
  c.scenarios.pop_back();
  c.plan.pop_back();
  const auto dropped = report::CompareRecords(a, c);
  BOOST_REQUIRE(dropped.size() == 1u);
  BOOST_TEST(dropped[0].find("selected: only recorded") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
