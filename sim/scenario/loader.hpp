// Loading and validating scenario and suite files. Errors name the file, line and field.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "otasim/result.hpp"
#include "plugin_host/registry.hpp"
#include "scenario/model.hpp"
#include "scoring/grading.hpp"

namespace otasim::scenario {

// What a scenario is checked against besides its own structure.
struct ValidationContext {
  const plugin_host::Registry* registry = nullptr;   // attack ids and their parameters
  const scoring::Catalogue* catalogue = nullptr;     // requirement ids
  std::filesystem::path library_root;  // scenarios/library: the id must match the path
};

Result<ScenarioSpec> LoadScenario(const std::filesystem::path& path, const ValidationContext& ctx);
Result<SuiteSpec> LoadSuite(const std::filesystem::path& path);

// Every scenario file under the library root, sorted by id.
Result<std::vector<ScenarioSpec>> LoadLibrary(const ValidationContext& ctx);

// The suite's scenario patterns resolved against the library (each pattern must match).
Result<std::vector<ScenarioSpec>> ResolveSuite(const SuiteSpec& suite,
                                               const std::vector<ScenarioSpec>& library);

}  // namespace otasim::scenario
