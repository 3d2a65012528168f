// Binding of raw parameter text against declared specs, and the value parsers it shares.
#include "otasim/params.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>

namespace otasim {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Splits "123unit" into its unsigned number and the unit after it (spaces between allowed).
bool SplitNumber(std::string_view text, std::uint64_t& number, std::string_view& unit) {
  text = Trim(text);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end == text.data()) return false;
  unit = Trim(std::string_view(end, static_cast<std::size_t>(text.data() + text.size() - end)));
  return true;
}

Result<std::int64_t> ParseInt(std::string_view text) {
  text = Trim(text);
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data() || end != text.data() + text.size()) {
    return Error(Errc::kInvalidArgument, "'" + std::string(text) + "' is not a 64-bit integer");
  }
  return value;
}

Result<bool> ParseBool(std::string_view text) {
  text = Trim(text);
  if (text == "true") return true;
  if (text == "false") return false;
  return Error(Errc::kInvalidArgument, "'" + std::string(text) + "' is not true or false");
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> items;
  text = Trim(text);
  if (text.empty()) return items;
  for (;;) {
    std::size_t comma = text.find(',');
    items.emplace_back(Trim(text.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

std::string JoinChoices(const std::vector<std::string>& choices) {
  std::string out;
  for (const auto& c : choices) out += (out.empty() ? "" : ", ") + c;
  return out;
}

// A parser's error, if any: checking a value needs only whether it parses, not what it is.
template <class T>
Status ParseError(const Result<T>& parsed) {
  if (!parsed) return parsed.error();
  return {};
}

// Checks one value against its spec; the error message says why, without the parameter name.
Status CheckValue(const ParamSpec& spec, const std::string& value) {
  auto in_choices = [&](const std::string& v) {
    return std::find(spec.choices.begin(), spec.choices.end(), v) != spec.choices.end();
  };
  switch (spec.type) {
    case ParamType::kString: return {};
    case ParamType::kInt: return ParseError(ParseInt(value));
    case ParamType::kBool: return ParseError(ParseBool(value));
    case ParamType::kBytes: return ParseError(ParseByteCount(value));
    case ParamType::kPercent: return ParseError(ParsePercent(value));
    case ParamType::kDuration: return ParseError(ParseDuration(value));
    case ParamType::kEnum:
      if (in_choices(std::string(Trim(value)))) return {};
      return Error(Errc::kInvalidArgument,
                   "'" + value + "' is not one of: " + JoinChoices(spec.choices));
    case ParamType::kList:
      for (const auto& item : SplitList(value)) {
        if (item.empty()) return Error(Errc::kInvalidArgument, "empty item in list '" + value + "'");
        if (!spec.choices.empty() && !in_choices(item)) {
          return Error(Errc::kInvalidArgument,
                       "'" + item + "' is not one of: " + JoinChoices(spec.choices));
        }
      }
      return {};
  }
  return Error(Errc::kInternal, "unknown parameter type");
}

}  // namespace

std::string_view ParamTypeName(ParamType type) noexcept {
  switch (type) {
    case ParamType::kString: return "string";
    case ParamType::kInt: return "int";
    case ParamType::kBool: return "bool";
    case ParamType::kBytes: return "bytes";
    case ParamType::kPercent: return "percent";
    case ParamType::kDuration: return "duration";
    case ParamType::kEnum: return "enum";
    case ParamType::kList: return "list";
  }
  return "unknown";
}

Result<Params> Params::Bind(const std::vector<ParamSpec>& specs,
                            const std::map<std::string, std::string>& raw,
                            const std::string& where) {
  auto fail = [&](const std::string& message) {
    return Error(Errc::kInvalidArgument, where.empty() ? message : where + ": " + message);
  };

  for (const auto& entry : raw) {
    const std::string& name = entry.first;  // not a structured binding: clang 14 can't capture one
    bool known = std::any_of(specs.begin(), specs.end(),
                             [&](const ParamSpec& s) { return s.name == name; });
    if (!known) {
      std::string names;
      for (const auto& s : specs) names += (names.empty() ? "" : ", ") + s.name;
      return fail("unknown parameter '" + name + "' (known: " +
                  (names.empty() ? std::string("none") : names) + ")");
    }
  }

  Params params;
  for (const auto& spec : specs) {
    auto given = raw.find(spec.name);
    std::string value;
    if (given != raw.end()) {
      value = given->second;
    } else if (spec.required) {
      return fail("missing required parameter '" + spec.name + "' (" +
                  std::string(ParamTypeName(spec.type)) + ")");
    } else if (!spec.default_value.empty()) {
      value = spec.default_value;
    } else {
      continue;  // optional without default: absent
    }
    if (Status ok = CheckValue(spec, value); !ok) {
      const char* origin = given != raw.end() ? "" : " (default)";
      return fail("parameter '" + spec.name + "'" + origin + ": " + ok.error().message());
    }
    params.values_[spec.name] = value;
  }
  return params;
}

bool Params::Has(const std::string& name) const { return values_.count(name) != 0; }

const std::string& Params::GetString(const std::string& name) const {
  static const std::string kEmpty;
  auto it = values_.find(name);
  return it == values_.end() ? kEmpty : it->second;
}

// Getters re-parse text that Bind already checked; a missing name yields the type's zero.
std::int64_t Params::GetInt(const std::string& name) const {
  auto r = ParseInt(GetString(name));
  return r ? *r : 0;
}

bool Params::GetBool(const std::string& name) const {
  auto r = ParseBool(GetString(name));
  return r ? *r : false;
}

std::uint64_t Params::GetBytes(const std::string& name) const {
  auto r = ParseByteCount(GetString(name));
  return r ? *r : 0;
}

double Params::GetPercent(const std::string& name) const {
  auto r = ParsePercent(GetString(name));
  return r ? *r : 0.0;
}

std::chrono::milliseconds Params::GetDuration(const std::string& name) const {
  auto r = ParseDuration(GetString(name));
  return r ? *r : std::chrono::milliseconds{0};
}

std::vector<std::string> Params::GetList(const std::string& name) const {
  return SplitList(GetString(name));
}

Result<std::uint64_t> ParseByteCount(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Error(Errc::kInvalidArgument, "'" + std::string(text) + "' is not a byte count: " +
                                             std::string(why) + " (examples: 512, 64KiB, 16MiB, 1GB)");
  };
  std::uint64_t number = 0;
  std::string_view unit;
  if (!SplitNumber(text, number, unit)) return bad("expected an unsigned number");
  struct Suffix {
    std::string_view name;
    std::uint64_t scale;
  };
  static constexpr Suffix kSuffixes[] = {
      {"", 1},           {"B", 1},
      {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30}, {"TiB", 1ull << 40},
      {"KB", 1000ull},   {"MB", 1000ull * 1000}, {"GB", 1000ull * 1000 * 1000},
      {"TB", 1000ull * 1000 * 1000 * 1000},
  };
  for (const auto& suffix : kSuffixes) {
    if (!EqualsNoCase(unit, suffix.name)) continue;
    if (number > std::numeric_limits<std::uint64_t>::max() / suffix.scale) return bad("too large");
    return number * suffix.scale;
  }
  return bad("unknown unit '" + std::string(unit) + "'");
}

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Error(Errc::kInvalidArgument, "'" + std::string(text) + "' is not a duration: " +
                                             std::string(why) + " (examples: 250ms, 2s, 1m, 1h)");
  };
  std::uint64_t number = 0;
  std::string_view unit;
  if (!SplitNumber(text, number, unit)) return bad("expected an unsigned number");
  std::uint64_t scale = 0;
  if (unit == "ms") scale = 1;
  else if (unit == "s") scale = 1000;
  else if (unit == "m") scale = 60 * 1000;
  else if (unit == "h") scale = 3600 * 1000;
  else if (unit.empty() && number == 0) scale = 1;
  else return bad(unit.empty() ? "missing unit ms, s, m or h" : "unknown unit '" + std::string(unit) + "'");
  if (number > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) / scale) {
    return bad("too large");
  }
  return std::chrono::milliseconds{static_cast<std::int64_t>(number * scale)};
}

Result<double> ParsePercent(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Error(Errc::kInvalidArgument,
                 "'" + std::string(text) + "' is not a percentage: " + std::string(why));
  };
  std::string_view body = Trim(text);
  if (!body.empty() && body.back() == '%') body = Trim(body.substr(0, body.size() - 1));
  // from_chars accepts "inf" and "nan"; insist on a plain decimal number.
  if (body.empty() || !std::all_of(body.begin(), body.end(), [](char c) {
        return (c >= '0' && c <= '9') || c == '.';
      })) {
    return bad("expected a number from 0 to 100");
  }
  double value = 0;
  auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), value);
  if (ec != std::errc() || end != body.data() + body.size()) return bad("expected a number");
  if (!std::isfinite(value) || value < 0 || value > 100) return bad("must be from 0 to 100");
  return value;
}

}  // namespace otasim
