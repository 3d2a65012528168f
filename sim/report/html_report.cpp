// report.html: the data the page shows, and the page around it.
#include "report/html_report.hpp"

#include <algorithm>
#include <fstream>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include "otasim/crypto.hpp"
#include "report/text.hpp"

namespace otasim::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The page's style and script, kept in their own files under html/ to be readable as CSS and JS.
constexpr std::string_view kPageStyle =
#include "report/html/style.css.inc"
    ;
constexpr std::string_view kPageScript =
#include "report/html/script.js.inc"
    ;

// Bumped when the embedded data changes shape (the page and its data always travel together,
// so this only helps someone who scrapes the data out of a page).
constexpr int kPageDataFormat = 1;

std::vector<std::string> MatrixProtocols(const RunReport& report) {
  std::vector<std::string> protocols = report.info.protocols;
  for (const scoring::ScenarioResult& scenario : report.scenarios) {
    if (std::find(protocols.begin(), protocols.end(), scenario.protocol) == protocols.end()) {
      protocols.push_back(scenario.protocol);
    }
  }
  return protocols;
}

// A relative path as an href: each byte outside the unreserved set is %-encoded, so that '#',
// '?', '%' or ':' in a file name cannot turn it into a fragment, a query or a scheme.
std::string HrefOf(const std::string& relative) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : relative) {
    const auto byte = static_cast<unsigned char>(c);
    const bool keep = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
                      (byte >= '0' && byte <= '9') || c == '-' || c == '.' || c == '_' ||
                      c == '~' || c == '/' || c == '@';
    if (keep) {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
  return out;
}

// A scenario's evidence directory as report.json names it, if it is a plain path below
// evidence/ (a merged report.json is input: it must not make the page read elsewhere).
std::optional<fs::path> EvidenceDir(const std::string& evidence) {
  const fs::path relative(evidence);
  if (evidence.empty() || relative.is_absolute()) return std::nullopt;
  auto segment = relative.begin();
  if (segment == relative.end() || *segment != "evidence") return std::nullopt;
  for (const fs::path& part : relative) {
    if (part == ".." || part == "." || part.empty()) return std::nullopt;
  }
  return relative;
}

json EvidenceFiles(const fs::path& out_dir, const fs::path& relative, const HtmlLimits& limits) {
  json files = json::array();
  std::error_code ec;
  std::vector<fs::path> found;
  for (fs::recursive_directory_iterator it(out_dir / relative, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->is_regular_file(ec)) found.push_back(it->path().lexically_relative(out_dir));
  }
  std::sort(found.begin(), found.end());
  for (const fs::path& file : found) {
    if (files.size() >= limits.evidence_files) break;
    const std::uintmax_t bytes = fs::file_size(out_dir / file, ec);
    files.push_back({{"name", ToValidUtf8(file.lexically_relative(relative).generic_string())},
                     {"href", HrefOf(ToValidUtf8(file.generic_string()))},
                     {"bytes", ec ? 0 : bytes}});
  }
  return files;
}

// The first events of a session's timeline.json. The file is parsed as a stream and events
// past the limit are dropped as soon as they are complete, so a huge timeline costs time, not
// memory. `budget` is what is left of the page's timeline bytes; the events taken use it up.
json EmbeddedTimeline(const fs::path& file, const HtmlLimits& limits, std::size_t* budget) {
  json out = {{"events", json::array()}, {"total", 0}, {"note", ""}};
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(file, ec);
  if (ec) {
    out["note"] = "no timeline.json";
    return out;
  }
  if (size > limits.timeline_file_bytes) {
    out["note"] = "timeline.json has " + std::to_string(size) +
                  " bytes, too many to embed: open the file";
    return out;
  }
  std::ifstream in(file, std::ios::binary);
  std::size_t total = 0;
  json events;
  try {
    // Depth 1 holds the elements of the top-level array; returning false drops one.
    events = json::parse(in, [&](int depth, json::parse_event_t event, json&) {
      if (depth != 1) return true;
      if (event != json::parse_event_t::object_end && event != json::parse_event_t::array_end &&
          event != json::parse_event_t::value) {
        return true;
      }
      ++total;
      return total <= limits.timeline_events;
    });
  } catch (const json::exception& e) {
    out["note"] = std::string("timeline.json cannot be read: ") + e.what();
    return out;
  }
  if (!events.is_array()) {
    out["note"] = "timeline.json is not a list of events";
    return out;
  }
  out["total"] = total;
  std::size_t kept = 0;
  for (json& event : events) {
    std::string text = event.dump(-1, ' ', false, json::error_handler_t::replace);
    if (text.size() > limits.event_bytes && event.is_object() && event.contains("details")) {
      // Keep when, who and what; cut the details, which is where big payloads sit.
      const std::string details =
          event["details"].dump(-1, ' ', false, json::error_handler_t::replace);
      event["details"] = ToValidUtf8(details.substr(0, limits.event_bytes)) + " ... (cut: " +
                         std::to_string(details.size()) + " bytes)";
      text = event.dump(-1, ' ', false, json::error_handler_t::replace);
    }
    if (text.size() > *budget) break;
    *budget -= text.size();
    out["events"].push_back(std::move(event));
    ++kept;
  }
  if (kept < total) {
    out["note"] = "showing the first " + std::to_string(kept) + " of " + std::to_string(total) +
                  " events" +
                  (kept < std::min(total, limits.timeline_events)
                       ? " (the page's space for timelines is used up)"
                       : "") +
                  ": open timeline.json for all";
  }
  return out;
}

// Inline script hash for the Content-Security-Policy: only this exact script may run.
std::string ScriptHash() {
  const crypto::Sha256Digest digest = crypto::Sha256::Of(crypto::AsBytes(kPageScript));
  return "sha256-" + crypto::Base64Encode(digest);
}

}  // namespace

RequirementMatrix ComputeRequirementMatrix(const RunReport& report) {
  scoring::Catalogue fallback;
  const scoring::Catalogue* catalogue = report.catalogue;
  if (catalogue == nullptr) {
    for (const scoring::RequirementVerdict& verdict : report.requirements) {
      fallback.requirements.push_back(scoring::Requirement{verdict.id, "", "", "", {}, "test"});
    }
    catalogue = &fallback;
  }
  RequirementMatrix matrix;
  for (const scoring::RequirementVerdict& verdict : report.requirements) matrix[verdict.id];
  for (const std::string& protocol : MatrixProtocols(report)) {
    std::vector<scoring::ScenarioResult> of_protocol;
    for (const scoring::ScenarioResult& scenario : report.scenarios) {
      if (scenario.protocol == protocol) of_protocol.push_back(scenario);
    }
    for (const scoring::RequirementVerdict& cell :
         scoring::ScoreRequirements(*catalogue, of_protocol)) {
      auto row = matrix.find(cell.id);
      if (row != matrix.end()) row->second[protocol] = scoring::RequirementStateName(cell.state);
    }
  }
  return matrix;
}

json HtmlPageData(const RunReport& report, const fs::path& out_dir, const HtmlLimits& limits) {
  json full = ToJson(report);
  json data = json::object();
  data["format"] = kPageDataFormat;
  json run = json::object();
  for (const char* key : {"otasim_version", "suite", "target", "target_params", "grading_profile",
                          "protocols", "seed", "jobs", "started", "duration_ms",
                          "command_line"}) {
    run[key] = full[key];
  }
  run["matrix_protocols"] = MatrixProtocols(report);
  data["run"] = std::move(run);
  data["grade"] = full["grade"];
  data["summary"] = full["summary"];
  data["documentary"] = full["documentary"];

  const RequirementMatrix matrix = ComputeRequirementMatrix(report);
  data["requirements"] = std::move(full["requirements"]);
  for (json& requirement : data["requirements"]) {
    auto row = matrix.find(requirement["id"].get<std::string>());
    requirement["cells"] = row != matrix.end() ? json(row->second) : json::object();
  }

  std::size_t budget = limits.total_timeline_bytes;
  data["scenarios"] = std::move(full["scenarios"]);
  for (json& scenario : data["scenarios"]) {
    const auto relative = EvidenceDir(scenario["evidence"].get<std::string>());
    if (!relative) {
      scenario["evidence_files"] = json::array();
      scenario["timeline"] = {{"events", json::array()}, {"total", 0},
                              {"note", "no evidence directory"}};
      continue;
    }
    scenario["evidence_files"] = EvidenceFiles(out_dir, *relative, limits);
    scenario["timeline"] = EmbeddedTimeline(out_dir / *relative / "timeline.json", limits, &budget);
  }
  return data;
}

std::string EmbeddableJson(const json& data) {
  const std::string text = data.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    // These characters only occur inside JSON strings, where \u escapes mean the same.
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xE2' && i + 2 < text.size() && text[i + 1] == '\x80' &&
               (text[i + 2] == '\xA8' || text[i + 2] == '\xA9')) {
      out += text[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";  // line breaks to older JS parsers
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string RenderHtmlReport(const RunReport& report, const fs::path& out_dir,
                             const HtmlLimits& limits) {
  const std::string data = EmbeddableJson(HtmlPageData(report, out_dir, limits));
  std::string page;
  page.reserve(data.size() + kPageStyle.size() + kPageScript.size() + 1024);
  page += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  // Nothing may load from anywhere; only the page's own script runs.
  page += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; img-src data:; script-src '" +
          ScriptHash() + "'; base-uri 'none'; form-action 'none'\">\n";
  page += "<title>otasim report</title>\n<style>";
  page += kPageStyle;
  page += "</style>\n</head>\n<body>\n";
  page += "<noscript><p>This page needs JavaScript to show the run; the same data is in "
          "report.json next to it.</p></noscript>\n";
  page += "<main id=\"report\"></main>\n";
  page += "<script type=\"application/json\" id=\"otasim-data\">";
  page += data;
  page += "</script>\n<script>";
  page += kPageScript;
  page += "</script>\n</body>\n</html>\n";
  return page;
}

}  // namespace otasim::report
