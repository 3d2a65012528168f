// `otasim list`, `otasim describe` and `otasim validate`: everything here is generated from
// the registry and the data files, so it cannot drift from what `run` uses.
#include <algorithm>
#include <iomanip>
#include <iostream>

#include "cli/commands.hpp"
#include "scenario/loader.hpp"
#include "scenario/yaml_reader.hpp"
#include "scoring/grading.hpp"
#include "target/profile.hpp"

namespace otasim::cli {

bool LoadEnvironment(const CommonOptions& common, DataDirs& dirs, plugin_host::Registry& registry) {
  auto found = FindDataDirs(common.data_dir);
  if (!found) {
    std::cerr << "otasim: " << found.error().message() << "\n";
    return false;
  }
  dirs = *found;
  if (Status s = registry.LoadBuiltins(); !s) {
    std::cerr << "otasim: " << s.error().message() << "\n";
    return false;
  }
  for (const auto& dir : common.plugin_dirs) {
    if (Status s = registry.LoadDirectory(dir); !s) {
      std::cerr << "otasim: " << s.error().message() << "\n";
      return false;
    }
  }
  return true;
}

namespace {

void PrintParams(const std::vector<ParamSpec>& params) {
  if (params.empty()) {
    std::cout << "  parameters: none\n";
    return;
  }
  std::cout << "  parameters:\n";
  for (const auto& p : params) {
    std::cout << "    " << std::left << std::setw(12) << p.name << " " << std::setw(9)
              << ParamTypeName(p.type) << " default "
              << (p.required ? "(required)" : p.default_value.empty() ? "(none)" : p.default_value)
              << "\n      " << p.help << "\n";
    if (!p.choices.empty()) {
      std::cout << "      one of:";
      for (const auto& c : p.choices) std::cout << " " << c;
      std::cout << "\n";
    }
  }
}

std::vector<std::filesystem::path> YamlFiles(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

int ListCommand(const CommonOptions& common, const std::string& what) {
  DataDirs dirs;
  plugin_host::Registry registry;
  if (!LoadEnvironment(common, dirs, registry)) return kExitBadInput;
  if (what == "plugins") {
    for (const auto* type : registry.All()) {
      std::cout << std::left << std::setw(24) << type->info.id << std::setw(9)
                << PluginKindName(type->info.kind) << std::setw(8) << type->info.version
                << type->info.summary << "\n";
    }
    return kExitOk;
  }
  auto catalogue = scoring::LoadCatalogue(dirs.catalogue());
  if (!catalogue) {
    std::cerr << "otasim: " << catalogue.error().message() << "\n";
    return kExitBadInput;
  }
  if (what == "requirements") {
    for (const auto& r : catalogue->requirements) {
      std::cout << std::left << std::setw(8) << r.id << std::setw(16) << r.pillar << r.title
                << (r.assessment == "documentary" ? "  [documentary]" : "") << "\n";
    }
    return kExitOk;
  }
  if (what == "scenarios") {
    auto library = scenario::LoadLibrary({&registry, &*catalogue, dirs.library()});
    if (!library) {
      std::cerr << "otasim: " << library.error().message() << "\n";
      return kExitBadInput;
    }
    for (const auto& s : *library) {
      std::string reqs;
      for (const auto& r : s.requirements) reqs += (reqs.empty() ? "" : ",") + r;
      std::cout << std::left << std::setw(36) << s.id << std::setw(14) << reqs << s.title << "\n";
    }
    return kExitOk;
  }
  if (what == "suites") {
    for (const auto& file : YamlFiles(dirs.suites())) {
      auto suite = scenario::LoadSuite(file);
      if (!suite) {
        std::cerr << "otasim: " << suite.error().message() << "\n";
        return kExitBadInput;
      }
      std::cout << std::left << std::setw(16) << suite->name << suite->title << "\n";
    }
    return kExitOk;
  }
  for (const auto& file : YamlFiles(dirs.target_profiles())) {  // targets
    auto profile = target::LoadTargetProfile(file);
    if (!profile) {
      std::cerr << "otasim: " << profile.error().message() << "\n";
      return kExitBadInput;
    }
    std::string protocols;
    for (const auto& p : profile->protocols) protocols += (protocols.empty() ? "" : ",") + p;
    std::cout << std::left << std::setw(16) << profile->name << std::setw(16) << protocols
              << profile->summary << "\n";
  }
  return kExitOk;
}

int DescribeCommand(const CommonOptions& common, const std::string& id) {
  DataDirs dirs;
  plugin_host::Registry registry;
  if (!LoadEnvironment(common, dirs, registry)) return kExitBadInput;
  if (const auto* type = registry.Find(id)) {
    const auto& info = type->info;
    std::cout << info.id << " (" << PluginKindName(info.kind) << ", version " << info.version
              << ", from " << type->origin.path << ")\n  " << info.summary << "\n";
    if (!info.threats.empty()) {
      std::cout << "  threats:";
      for (const auto& t : info.threats) std::cout << " " << t;
      std::cout << "\n";
    }
    if (!info.protocols.empty()) {
      std::cout << "  protocols:";
      for (const auto& p : info.protocols) std::cout << " " << p;
      std::cout << "\n";
    }
    PrintParams(info.params);
    return kExitOk;
  }
  auto catalogue = scoring::LoadCatalogue(dirs.catalogue());
  if (!catalogue) {
    std::cerr << "otasim: " << catalogue.error().message() << "\n";
    return kExitBadInput;
  }
  if (const auto* r = catalogue->Find(id)) {
    std::cout << r->id << " — " << r->title << " (" << r->pillar << ", " << r->assessment
              << ")\n  " << r->statement << "\n  maps to:\n";
    for (const auto& m : r->mappings) std::cout << "    " << m << "\n";
    return kExitOk;
  }
  std::error_code ec;
  auto scenario_file = dirs.library() / (id + ".yaml");
  if (std::filesystem::is_regular_file(scenario_file, ec)) {
    auto s = scenario::LoadScenario(scenario_file, {&registry, &*catalogue, dirs.library()});
    if (!s) {
      std::cerr << "otasim: " << s.error().message() << "\n";
      return kExitBadInput;
    }
    std::cout << s->id << " — " << s->title << "\n";
    if (!s->summary.empty()) std::cout << "  " << s->summary << "\n";
    std::cout << "  requirements:";
    for (const auto& r : s->requirements) std::cout << " " << r;
    std::cout << "\n  steps:\n";
    int n = 0;
    for (const auto& step : s->steps) {
      std::cout << "    " << ++n << ". " << (step.control ? "[control] " : "") << step.name;
      for (const auto& a : step.attacks) std::cout << " [" << a.id << "]";
      std::cout << "\n";
    }
    return kExitOk;
  }
  if (auto path = target::FindTargetProfile(id, dirs.target_profiles())) {
    auto profile = target::LoadTargetProfile(*path);
    if (!profile) {
      std::cerr << "otasim: " << profile.error().message() << "\n";
      return kExitBadInput;
    }
    std::cout << profile->name << " — " << profile->summary << "\n  adapter: " << profile->adapter;
    if (!profile->command.empty()) std::cout << "\n  command: " << profile->command;
    std::cout << "\n  verbs:";
    for (const auto& v : profile->verbs) std::cout << " " << v;
    std::cout << "\n  power cut: " << profile->power_cut << "\n";
    PrintParams(profile->params);
    return kExitOk;
  }
  std::cerr << "otasim: nothing named '" << id
            << "' (not a plugin, requirement, scenario or target); try `otasim list plugins`\n";
  return kExitBadInput;
}

int ValidateCommand(const CommonOptions& common, const std::vector<std::string>& files) {
  DataDirs dirs;
  plugin_host::Registry registry;
  if (!LoadEnvironment(common, dirs, registry)) return kExitBadInput;
  auto catalogue = scoring::LoadCatalogue(dirs.catalogue());
  int bad = 0;
  auto report = [&](const std::string& file, const Status& status, const std::string& kind) {
    if (status) {
      std::cout << "ok      " << file << " (" << kind << ")\n";
    } else {
      ++bad;
      std::cout << "invalid " << status.error().message() << "\n";
    }
  };
  for (const auto& file : files) {
    auto yaml = scenario::YamlReader::Load(file);
    if (!yaml) {
      report(file, yaml.error(), "");
      continue;
    }
    const YAML::Node& root = yaml->root();
    if (!root.IsMap()) {
      report(file, yaml->ErrorAt(root, "", "expected a mapping at the top level"), "");
      continue;
    }
    if (root["steps"]) {
      if (!catalogue) {
        report(file, catalogue.error(), "scenario");
        continue;
      }
      auto s = scenario::LoadScenario(file, {&registry, &*catalogue, dirs.library()});
      report(file, s ? Status{} : Status{s.error()}, "scenario");
    } else if (root["scenarios"]) {
      auto suite = scenario::LoadSuite(file);
      Status status = suite ? Status{} : Status{suite.error()};
      if (suite && catalogue) {
        auto library = scenario::LoadLibrary({&registry, &*catalogue, dirs.library()});
        if (!library) status = library.error();
        else if (auto resolved = scenario::ResolveSuite(*suite, *library); !resolved) status = resolved.error();
      }
      report(file, status, "suite");
    } else if (root["levels"]) {
      if (!catalogue) {
        report(file, catalogue.error(), "grading profile");
        continue;
      }
      auto profile = scoring::LoadGradingProfile(file, *catalogue);
      report(file, profile ? Status{} : Status{profile.error()}, "grading profile");
    } else if (root["requirements"]) {
      auto loaded = scoring::LoadCatalogue(file);
      report(file, loaded ? Status{} : Status{loaded.error()}, "requirement catalogue");
    } else if (root["command"] || root["verbs"]) {
      auto profile = target::LoadTargetProfile(file);
      report(file, profile ? Status{} : Status{profile.error()}, "target profile");
    } else {
      report(file, yaml->ErrorAt(root, "", "not a scenario (steps), suite (scenarios), grading "
                                           "profile (levels), catalogue (requirements) or target "
                                           "profile (command)"), "");
    }
  }
  return bad == 0 ? kExitOk : kExitBadInput;
}

}  // namespace otasim::cli
