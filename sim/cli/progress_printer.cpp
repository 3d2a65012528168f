#include "cli/progress_printer.hpp"

#include <iostream>

namespace otasim::cli {

namespace {

const char* Label(scoring::Verdict v) {
  switch (v) {
    case scoring::Verdict::kPass: return "PASS ";
    case scoring::Verdict::kFail: return "FAIL ";
    case scoring::Verdict::kError: return "ERROR";
    case scoring::Verdict::kSkip: return "SKIP ";
    case scoring::Verdict::kXfail: return "XFAIL";
    case scoring::Verdict::kXpass: return "XPASS";
  }
  return "?";
}

}  // namespace

void ProgressPrinter::Update(const scenario::Progress& p) {
  if (quiet_) return;
  if (p.finished != nullptr) {
    const auto& r = *p.finished;
    ++counts_[std::string(scoring::VerdictName(r.verdict))];
    if (tty_ && line_open_) std::cerr << "\r\033[K";
    line_open_ = false;
    std::cout << "[" << p.done << "/" << p.total << "] " << Label(r.verdict) << " " << r.id << "@"
              << r.protocol << " (" << r.duration_ms << " ms)";
    if (r.verdict != scoring::Verdict::kPass && !r.reason.empty()) std::cout << " — " << r.reason;
    std::cout << std::endl;
    if (verbose_) {
      for (const auto& step : r.steps) {
        for (const auto& c : step.checks) {
          if (!c.ok) {
            std::cout << "      step " << step.index << " " << c.name << ": expected " << c.expected
                      << ", observed " << c.observed << " [" << c.channel << "]\n";
          }
        }
      }
    }
  }
  if (tty_ && !p.running.empty()) {
    std::string running;
    for (const auto& name : p.running) running += (running.empty() ? "" : ", ") + name;
    std::cerr << "\r\033[K[" << p.done << "/" << p.total << "] pass " << counts_["pass"] << " fail "
              << counts_["fail"] << " error " << counts_["error"] << " | running " << running
              << std::flush;
    line_open_ = true;
  }
}

void ProgressPrinter::Finish() {
  if (tty_ && line_open_) std::cerr << "\r\033[K" << std::flush;
  line_open_ = false;
}

void ProgressPrinter::Summary(const report::RunReport& report,
                              const std::filesystem::path& out_dir) const {
  std::map<std::string, int> counts;
  for (const auto& r : report.scenarios) ++counts[std::string(scoring::VerdictName(r.verdict))];
  std::cout << "\nRequirements:\n";
  for (const auto& req : report.requirements) {
    if (req.state == scoring::RequirementState::kNotAssessed) continue;
    std::string title;
    if (report.catalogue != nullptr) {
      if (const auto* r = report.catalogue->Find(req.id)) title = r->title;
    }
    std::cout << "  " << req.id << std::string(req.id.size() < 7 ? 7 - req.id.size() : 1, ' ')
              << scoring::RequirementStateName(req.state) << "  " << title << "\n";
  }
  std::cout << "\nScenarios: " << report.scenarios.size() << " — pass " << counts["pass"] << ", fail "
            << counts["fail"] << ", error " << counts["error"] << ", skip " << counts["skip"] << "\n";
  std::cout << "Grade: " << report.grade.grade;
  if (!report.grade.next_level.empty()) {
    std::cout << " (" << report.grade.next_level << " needs:";
    for (const auto& id : report.grade.blocking) std::cout << " " << id;
    std::cout << ")";
  }
  std::cout << "\nReport: " << (out_dir / "report.html").string() << " ("
            << (out_dir / "report.json").string() << ", " << (out_dir / "junit.xml").string()
            << ")\n";
}

}  // namespace otasim::cli
