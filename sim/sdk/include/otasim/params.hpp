// Typed, documented parameters of a pluggable type (ns-3 style attributes). A plugin declares
// its ParamSpecs; the loader binds raw text from a scenario or the command line against them,
// so a plugin only ever sees values that have been checked.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "otasim/result.hpp"

namespace otasim {

enum class ParamType {
  kString,
  kInt,       // signed 64-bit
  kBool,      // true/false
  kBytes,     // unsigned count with optional suffix: 512, 64KiB, 16MiB, 1GiB
  kPercent,   // 0..100, optional "%"
  kDuration,  // 250ms, 2s, 1m
  kEnum,      // one of `choices`
  kList,      // comma-separated words; each must be in `choices` when choices are given
};
std::string_view ParamTypeName(ParamType type) noexcept;

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kString;
  std::string default_value;  // empty with required=false: the parameter is optional
  std::string help;
  std::vector<std::string> choices;  // for kEnum and kList
  bool required = false;
};

class Params {
 public:
  // Checks every raw value against its spec, rejects unknown names and fills in defaults.
  // `where` prefixes error messages ("scenario tamper/bit-flip.yaml, step 2, attack.tamper").
  static Result<Params> Bind(const std::vector<ParamSpec>& specs,
                             const std::map<std::string, std::string>& raw,
                             const std::string& where);

  bool Has(const std::string& name) const;  // given or defaulted
  const std::string& GetString(const std::string& name) const;
  std::int64_t GetInt(const std::string& name) const;
  bool GetBool(const std::string& name) const;
  std::uint64_t GetBytes(const std::string& name) const;
  double GetPercent(const std::string& name) const;
  std::chrono::milliseconds GetDuration(const std::string& name) const;
  std::vector<std::string> GetList(const std::string& name) const;
  const std::map<std::string, std::string>& values() const noexcept { return values_; }

 private:
  std::map<std::string, std::string> values_;
};

// Parsers shared by Params and the scenario loader.
Result<std::uint64_t> ParseByteCount(std::string_view text);
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);
Result<double> ParsePercent(std::string_view text);

}  // namespace otasim
