// report.html: a run as one self-contained page for people (docs/reports.md, "report.html").
//
// The page carries its data as JSON inside <script type="application/json"> and renders it with
// its own inline script through textContent only, so nothing a device sends can become markup.
// It loads nothing from anywhere (a Content-Security-Policy forbids it) and links the evidence
// files by relative paths, so the output directory can be zipped and opened offline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "otasim/result.hpp"
#include "report/report.hpp"

namespace otasim::report {

// What the page embeds of each session's timeline.json; the rest stays behind the link.
struct HtmlLimits {
  std::size_t timeline_events = 400;                 // per session, the first ones
  std::size_t event_bytes = 4096;                    // an event's details beyond this are cut
  std::size_t total_timeline_bytes = 8u << 20;       // all sessions together
  std::uintmax_t timeline_file_bytes = 256u << 20;   // larger files are not even parsed
  std::size_t evidence_files = 64;                   // links per session
};

// requirement id -> protocol -> "pass" | "fail" | "error" | "not-assessed": the verdict of each
// requirement from the scenarios of one protocol only, by the rules of the overall verdict
// (scoring::ScoreRequirements). Rows are the report's requirements; columns its protocols
// and any other protocol a scenario ran on.
using RequirementMatrix = std::map<std::string, std::map<std::string, std::string>>;
RequirementMatrix ComputeRequirementMatrix(const RunReport& report);

// Everything the page shows. out_dir holds the evidence/ folder that timelines are read from.
nlohmann::json HtmlPageData(const RunReport& report, const std::filesystem::path& out_dir,
                            const HtmlLimits& limits = {});

// JSON text that can sit inside <script type="application/json">: '<', '>', '&', U+2028 and
// U+2029 are written as \u escapes, invalid UTF-8 becomes U+FFFD.
std::string EmbeddableJson(const nlohmann::json& data);

// The whole page.
std::string RenderHtmlReport(const RunReport& report, const std::filesystem::path& out_dir,
                             const HtmlLimits& limits = {});

}  // namespace otasim::report
