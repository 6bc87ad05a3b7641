#include "cli/job_output.hh"

#include <cstdio>
#include <ostream>

#include "executor/job_log.hh"

namespace cwf::cli {

std::string pad(std::string s, std::size_t width) {
  s.append(s.size() < width ? width - s.size() : 1, ' ');
  return s;
}

namespace {

const char* color_code(const std::string& state) {
  if (state == "succeeded") return "\033[32m";
  if (state == "failed" || state == "timed_out" || state == "interrupted") return "\033[31m";
  if (state == "queued" || state == "waiting" || state == "running" || state == "pending" || state == "allowed_failure")
    return "\033[33m";
  return "\033[90m";  // skipped, cancelled
}

}  // namespace

std::string colored(const std::string& state, bool color) {
  return color ? color_code(state) + state + "\033[0m" : state;
}

std::string format_duration_ms(std::optional<std::int64_t> from, std::optional<std::int64_t> to) {
  if (!from || !to) return "-";
  double s = static_cast<double>(*to - *from) / 1000.0;
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%.1fs", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  else std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s) / 3600, static_cast<int>(s) % 3600 / 60);
  return buf;
}

void print_job_summary(std::ostream& out, const store::JobRecord& job, bool color) {
  out << "\njob " << job.id << " " << colored(store::to_string(job.state), color) << " in "
      << format_duration_ms(job.started_at ? job.started_at : job.created_at, job.finished_at) << " ("
      << job.workflow << " on " << job.commit_sha.substr(0, 12) << ")\n";
  for (const auto& t : job.tasks) {
    std::string state = store::to_string(t.state);
    out << "  " << colored(pad(state, 16), color) << pad(t.name, 28) << pad(format_duration_ms(t.started_at, t.finished_at), 9);
    if (!t.build_id.empty()) out << " build " << t.build_id;
    if (!t.release_id.empty()) out << " release " << t.release_id;
    if (!t.reason.empty() && t.state != store::TaskState::skipped) out << "  " << t.reason;
    out << "\n";
  }
  if (!job.reason.empty()) out << "reason: " << job.reason << "\n";
}

std::string branch_or_pr(const store::JobRecord& j) {
  if (j.pull_request) return "PR#" + std::to_string(*j.pull_request);
  return j.branch.empty() ? "-" : j.branch;
}

void print_jobs_table(std::ostream& out, const std::vector<store::JobRecord>& jobs, bool color) {
  out << pad("ID", 7) << pad("STATE", 13) << pad("WORKFLOW", 24) << pad("BRANCH", 20) << pad("COMMIT", 14)
      << pad("TRIGGER", 9) << pad("CREATED", 26) << "DURATION\n";
  for (const auto& j : jobs) {
    std::string state = store::to_string(j.state);
    out << pad(std::to_string(j.id), 7) << colored(pad(state, 13), color) << pad(j.workflow, 24)
        << pad(branch_or_pr(j), 20) << pad(j.commit_sha.substr(0, 12), 14) << pad(j.trigger, 9)
        << pad(executor::format_time(j.created_at), 26) << format_duration_ms(j.started_at, j.finished_at) << "\n";
  }
}

}  // namespace cwf::cli
