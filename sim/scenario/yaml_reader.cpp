#include "scenario/yaml_reader.hpp"

#include <algorithm>
#include <cstring>

#include "otasim/files.hpp"

namespace otasim::scenario {

Result<YamlReader> YamlReader::Load(const std::filesystem::path& path) {
  auto text = ReadFile(path, 1u << 20);
  if (!text) return text.error().WithContext(path.string());
  return FromString(*text, path.string());
}

Result<YamlReader> YamlReader::FromString(const std::string& text, const std::string& name) {
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsDefined() || root.IsNull()) {
      return MakeError(Errc::kParse, name + ":1: the file is empty");
    }
    return YamlReader(root, name, text);
  } catch (const YAML::Exception& e) {
    return MakeError(Errc::kParse, name + ":" + std::to_string(e.mark.line + 1) +
                                       ": not valid YAML: " + e.msg);
  }
}

Error YamlReader::ErrorAt(const YAML::Node& node, const std::string& field,
                          const std::string& message) const {
  int line = 0;
  try {
    line = Line(node);
  } catch (const YAML::Exception&) {
  }
  std::string where = file_ + ":" + std::to_string(std::max(line, 1)) + ": ";
  if (!field.empty()) where += field + ": ";
  return MakeError(Errc::kInvalidArgument, where + message);
}

Status YamlReader::CheckMap(const YAML::Node& node, const std::string& field,
                            std::initializer_list<const char*> allowed) const {
  if (!node.IsMap()) return ErrorAt(node, field, "expected a mapping (key: value)");
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    bool known = std::any_of(allowed.begin(), allowed.end(),
                             [&](const char* name) { return key == name; });
    if (!known) {
      std::string list;
      for (const char* name : allowed) list += (list.empty() ? "" : ", ") + std::string(name);
      return ErrorAt(entry.first, field.empty() ? key : field + "." + key,
                     "unknown field (allowed: " + list + ")");
    }
  }
  return {};
}

Result<std::optional<std::string>> YamlReader::String(const YAML::Node& map, const char* key,
                                                      const std::string& where,
                                                      bool required) const {
  const std::string field = where.empty() ? key : where + "." + key;
  YAML::Node node = map[key];
  if (!node.IsDefined() || node.IsNull()) {
    if (required) return ErrorAt(map, field, "missing required field");
    return std::optional<std::string>{};
  }
  if (!node.IsScalar()) return ErrorAt(node, field, "expected a single value");
  return std::optional<std::string>{node.Scalar()};
}

Result<std::optional<std::uint64_t>> YamlReader::Unsigned(const YAML::Node& map, const char* key,
                                                          const std::string& where,
                                                          bool required) const {
  OTASIM_TRY(auto text, String(map, key, where, required));
  if (!text) return std::optional<std::uint64_t>{};
  const std::string field = where.empty() ? key : where + "." + key;
  const std::string& s = *text;
  if (s.empty() || s.size() > 20 || !std::all_of(s.begin(), s.end(), ::isdigit)) {
    return ErrorAt(map[key], field, "expected an unsigned integer, got '" + s + "'");
  }
  try {
    return std::optional<std::uint64_t>{std::stoull(s)};
  } catch (const std::exception&) {
    return ErrorAt(map[key], field, "number out of range: '" + s + "'");
  }
}

Result<std::optional<bool>> YamlReader::Bool(const YAML::Node& map, const char* key,
                                             const std::string& where, bool required) const {
  OTASIM_TRY(auto text, String(map, key, where, required));
  if (!text) return std::optional<bool>{};
  if (*text == "true") return std::optional<bool>{true};
  if (*text == "false") return std::optional<bool>{false};
  return ErrorAt(map[key], where.empty() ? key : where + "." + key,
                 "expected true or false, got '" + *text + "'");
}

Result<std::vector<std::string>> YamlReader::StringList(const YAML::Node& map, const char* key,
                                                        const std::string& where,
                                                        bool required) const {
  const std::string field = where.empty() ? key : where + "." + key;
  YAML::Node node = map[key];
  std::vector<std::string> values;
  if (!node.IsDefined() || node.IsNull()) {
    if (required) return ErrorAt(map, field, "missing required field");
    return values;
  }
  if (node.IsScalar()) {
    values.push_back(node.Scalar());
    return values;
  }
  if (!node.IsSequence()) return ErrorAt(node, field, "expected a list");
  for (const auto& item : node) {
    if (!item.IsScalar()) return ErrorAt(item, field, "expected a list of single values");
    values.push_back(item.Scalar());
  }
  return values;
}

Result<std::map<std::string, std::string>> YamlReader::StringMap(const YAML::Node& map,
                                                                 const char* key,
                                                                 const std::string& where) const {
  const std::string field = where.empty() ? key : where + "." + key;
  std::map<std::string, std::string> values;
  YAML::Node node = map[key];
  if (!node.IsDefined() || node.IsNull()) return values;
  if (!node.IsMap()) return ErrorAt(node, field, "expected a mapping of name: value");
  for (const auto& entry : node) {
    if (!entry.second.IsScalar()) {
      return ErrorAt(entry.second, field + "." + entry.first.Scalar(), "expected a single value");
    }
    values[entry.first.Scalar()] = entry.second.Scalar();
  }
  return values;
}

}  // namespace otasim::scenario
