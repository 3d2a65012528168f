#include "report/run_manifest.hpp"

#include <charconv>
#include <map>

namespace otasim::report {
namespace {

using nlohmann::json;

json FileJson(const FileRecord& file) {
  return {{"name", file.name}, {"path", file.path}, {"sha256", file.sha256}};
}

FileRecord FileFromJson(const json& j) {
  return {j.at("name").get<std::string>(), j.at("path").get<std::string>(),
          j.at("sha256").get<std::string>()};
}

std::string Short(const std::string& sha256) {
  return sha256.empty() ? "(none)" : sha256.substr(0, 16) + "..";
}

// Names the two sides of a comparison in messages: "recorded"/"now", or two shards.
struct Sides {
  std::string a, b;
  std::string Pair(const std::string& x, const std::string& y) const {
    return x + " " + a + ", " + y + " " + b;
  }
};

void CompareFile(const std::string& what, const FileRecord& recorded, const FileRecord& current,
                 const Sides& sides, std::vector<std::string>& out) {
  if (recorded.name != current.name) {
    out.push_back(what + ": " + sides.Pair("'" + recorded.name + "'", "'" + current.name + "'"));
  } else if (recorded.sha256 != current.sha256) {
    out.push_back(what + " '" + current.name + "' (" + current.path + ") differs: sha256 " +
                  sides.Pair(Short(recorded.sha256), Short(current.sha256)));
  }
}

template <class T>
std::string Joined(const std::vector<T>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ",") + item;
  return "[" + text + "]";
}

}  // namespace

Result<ShardSpec> ParseShard(const std::string& text) {
  const auto slash = text.find('/');
  ShardSpec shard;
  auto number = [](std::string_view part, int& value) {
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    return ec == std::errc() && end == part.data() + part.size() && !part.empty();
  };
  if (slash == std::string::npos ||
      !number(std::string_view(text).substr(0, slash), shard.index) ||
      !number(std::string_view(text).substr(slash + 1), shard.count)) {
    return MakeError(Errc::kInvalidArgument, "--shard '" + text + "' is not i/n (e.g. 2/3)");
  }
  if (shard.count < 1 || shard.index < 1 || shard.index > shard.count) {
    return MakeError(Errc::kInvalidArgument,
                     "--shard '" + text + "': i must be between 1 and n, and n at least 1");
  }
  return shard;
}

std::string ShardText(const ShardSpec& shard) {
  return std::to_string(shard.index) + "/" + std::to_string(shard.count);
}

nlohmann::json ToJson(const ReproduceRecord& record) {
  json scenarios = json::array();
  for (const auto& scenario : record.scenarios) scenarios.push_back(FileJson(scenario));
  json plugins = json::array();
  for (const auto& plugin : record.plugins) {
    plugins.push_back({{"id", plugin.id},
                       {"version", plugin.version},
                       {"origin", plugin.origin},
                       {"sha256", plugin.sha256},
                       {"types", plugin.types}});
  }
  return {{"otasim_version", record.otasim_version},
          {"abi", record.abi},
          {"build_fingerprint", record.build_fingerprint},
          {"seed", record.seed},
          {"jobs", record.jobs},
          {"protocols", record.protocols},
          {"target", FileJson(record.target)},
          {"target_params", record.target_params},
          {"suite", FileJson(record.suite)},
          {"selection", record.selection},
          {"scenarios", std::move(scenarios)},
          {"plan", record.plan},
          {"grading_profile", FileJson(record.grading_profile)},
          {"catalogue", FileJson(record.catalogue)},
          {"plugins", std::move(plugins)},
          {"data_dir", record.data_dir},
          {"plugin_dirs", record.plugin_dirs},
          {"shard", {{"index", record.shard.index}, {"count", record.shard.count}}},
          {"remote", {{"listen", record.remote.listen},
                      {"keys", record.remote.keys},
                      {"reset", record.remote.reset},
                      {"bundle", record.remote.bundle}}},
          {"command_line", record.command_line}};
}

Result<ReproduceRecord> ReproduceFromJson(const nlohmann::json& j, const std::string& where) {
  // The record is machine-written; any missing or mistyped field means the file is not one of
  // ours (or was edited), and nlohmann's message names the field.
  try {
    ReproduceRecord record;
    record.otasim_version = j.at("otasim_version").get<std::string>();
    record.abi = j.at("abi").get<std::string>();
    record.build_fingerprint = j.at("build_fingerprint").get<std::string>();
    record.seed = j.at("seed").get<std::uint64_t>();
    record.jobs = j.at("jobs").get<int>();
    record.protocols = j.at("protocols").get<std::vector<std::string>>();
    record.target = FileFromJson(j.at("target"));
    record.target_params = j.at("target_params");
    if (!record.target_params.is_object()) {
      return MakeError(Errc::kParse, where + ": reproduce.target_params is not an object");
    }
    record.suite = FileFromJson(j.at("suite"));
    record.selection = j.at("selection").get<std::vector<std::string>>();
    for (const auto& scenario : j.at("scenarios")) record.scenarios.push_back(FileFromJson(scenario));
    record.plan = j.at("plan").get<std::vector<std::string>>();
    record.grading_profile = FileFromJson(j.at("grading_profile"));
    record.catalogue = FileFromJson(j.at("catalogue"));
    for (const auto& plugin : j.at("plugins")) {
      record.plugins.push_back({plugin.at("id").get<std::string>(),
                                plugin.at("version").get<std::string>(),
                                plugin.at("origin").get<std::string>(),
                                plugin.at("sha256").get<std::string>(),
                                plugin.at("types").get<std::vector<std::string>>()});
    }
    record.data_dir = j.at("data_dir").get<std::string>();
    record.plugin_dirs = j.at("plugin_dirs").get<std::vector<std::string>>();
    record.shard.index = j.at("shard").at("index").get<int>();
    record.shard.count = j.at("shard").at("count").get<int>();
    if (record.shard.count < 1 || record.shard.index < 1 || record.shard.index > record.shard.count) {
      return MakeError(Errc::kParse, where + ": reproduce.shard " + ShardText(record.shard) +
                                         " is not a valid shard");
    }
    if (j.contains("remote")) {  // absent from records written before remote devices
      const json& remote = j.at("remote");
      record.remote = {remote.at("listen").get<std::string>(), remote.at("keys").get<std::string>(),
                       remote.at("reset").get<std::string>(), remote.at("bundle").get<std::string>()};
    }
    record.command_line = j.at("command_line").get<std::vector<std::string>>();
    return record;
  } catch (const json::exception& e) {
    return MakeError(Errc::kParse, where + ": reproduce: " + e.what());
  }
}

std::vector<std::string> CompareRecords(const ReproduceRecord& recorded,
                                        const ReproduceRecord& current,
                                        const std::string& recorded_label,
                                        const std::string& current_label) {
  std::vector<std::string> out;
  const Sides sides{recorded_label, current_label};
  auto differ = [&](const std::string& what, const std::string& a, const std::string& b) {
    if (a != b) out.push_back(what + ": " + sides.Pair("'" + a + "'", "'" + b + "'"));
  };
  differ("otasim version", recorded.otasim_version, current.otasim_version);
  differ("plugin ABI", recorded.abi, current.abi);
  differ("build fingerprint", recorded.build_fingerprint, current.build_fingerprint);
  differ("seed", std::to_string(recorded.seed), std::to_string(current.seed));
  differ("protocols", Joined(recorded.protocols), Joined(current.protocols));
  CompareFile("target profile", recorded.target, current.target, sides, out);
  differ("target parameters", recorded.target_params.dump(), current.target_params.dump());
  CompareFile("suite", recorded.suite, current.suite, sides, out);
  differ("scenario selection", Joined(recorded.selection), Joined(current.selection));
  CompareFile("grading profile", recorded.grading_profile, current.grading_profile, sides, out);
  CompareFile("requirement catalogue", recorded.catalogue, current.catalogue, sides, out);

  std::map<std::string, const FileRecord*> now;
  for (const auto& scenario : current.scenarios) now[scenario.name] = &scenario;
  for (const auto& scenario : recorded.scenarios) {
    auto found = now.find(scenario.name);
    if (found == now.end()) {
      out.push_back("scenario '" + scenario.name + "' selected: only " + recorded_label);
    } else {
      CompareFile("scenario", scenario, *found->second, sides, out);
      now.erase(found);
    }
  }
  for (const auto& [name, file] : now) {
    out.push_back("scenario '" + name + "' selected: only " + current_label);
  }
  if (out.empty() && recorded.plan != current.plan) {
    out.push_back("the session plan differs (scenario order or protocols)");
  }

  std::map<std::string, const PluginRecord*> plugins_now;
  for (const auto& plugin : current.plugins) plugins_now[plugin.id] = &plugin;
  for (const auto& plugin : recorded.plugins) {
    auto found = plugins_now.find(plugin.id);
    if (found == plugins_now.end()) {
      out.push_back("plugin " + plugin.id + " " + plugin.version + " (" + plugin.origin +
                    ") used: only " + recorded_label);
      continue;
    }
    const PluginRecord& now_plugin = *found->second;
    if (plugin.version != now_plugin.version) {
      out.push_back("plugin " + plugin.id + ": version " + sides.Pair(plugin.version, now_plugin.version));
    } else if (plugin.sha256 != now_plugin.sha256) {
      out.push_back("plugin " + plugin.id + " (" + now_plugin.origin + ") differs: sha256 " +
                    sides.Pair(Short(plugin.sha256), Short(now_plugin.sha256)));
    } else if (plugin.types != now_plugin.types) {
      out.push_back("plugin " + plugin.id + ": types used " +
                    sides.Pair(Joined(plugin.types), Joined(now_plugin.types)));
    }
    plugins_now.erase(found);
  }
  for (const auto& [id, plugin] : plugins_now) {
    out.push_back("plugin " + id + " (" + plugin->origin + ") used: only " + current_label);
  }
  return out;
}

}  // namespace otasim::report
