// Reading YAML input files with errors that name the file, line and field. yaml-cpp throws;
// everything here catches and returns errors as values.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "otasim/result.hpp"

namespace otasim::scenario {

class YamlReader {
 public:
  // Parses the file (at most 1 MiB). Errors: "FILE:LINE: not valid YAML: ...".
  static Result<YamlReader> Load(const std::filesystem::path& path);
  static Result<YamlReader> FromString(const std::string& text, const std::string& name);

  const YAML::Node& root() const { return root_; }
  const std::string& file() const { return file_; }
  const std::string& text() const { return text_; }

  // "FILE:LINE: FIELD: MESSAGE" (kInvalidArgument).
  Error ErrorAt(const YAML::Node& node, const std::string& field, const std::string& message) const;

  // The node must be a mapping whose keys are all in `allowed`.
  Status CheckMap(const YAML::Node& node, const std::string& field,
                  std::initializer_list<const char*> allowed) const;

  // Scalars. `required` fields that are missing are an error; optional ones return nullopt.
  Result<std::optional<std::string>> String(const YAML::Node& map, const char* key,
                                            const std::string& where, bool required) const;
  Result<std::optional<std::uint64_t>> Unsigned(const YAML::Node& map, const char* key,
                                                const std::string& where, bool required) const;
  Result<std::optional<bool>> Bool(const YAML::Node& map, const char* key,
                                   const std::string& where, bool required) const;
  // A list of scalars; a single scalar counts as a one-element list.
  Result<std::vector<std::string>> StringList(const YAML::Node& map, const char* key,
                                              const std::string& where, bool required) const;
  // A mapping of scalar to scalar (plugin parameters).
  Result<std::map<std::string, std::string>> StringMap(const YAML::Node& map, const char* key,
                                                       const std::string& where) const;

  static int Line(const YAML::Node& node) { return node.Mark().line + 1; }

 private:
  YamlReader(YAML::Node root, std::string file, std::string text)
      : root_(std::move(root)), file_(std::move(file)), text_(std::move(text)) {}
  YAML::Node root_;
  std::string file_;
  std::string text_;
};

}  // namespace otasim::scenario
