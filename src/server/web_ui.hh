#pragma once

// The web UI: server-rendered HTML, no JavaScript needed. The jobs list (red,
// green, grey, amber), the config state and workflows, and a job's page with
// its tasks and log (refreshing itself while the job runs).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runner/reconciler.hh"
#include "store/job_store.hh"
#include "watcher/poller.hh"

namespace cwf::server {

std::string html_escape(std::string_view text);
// The jobs list: FILTER's workflow, state and branch (kept in the page's
// links and its filter form), times relative to NOW_MS (absolute on hover).
// The runner's health shown above it: failing remotes (and when each is
// tried next), what the watchdog finds stuck, job ends the store refused.
struct IndexView {
  store::JobFilter filter;
  std::int64_t now_ms = 0;
  std::vector<watcher::RemoteStatus> remotes;
  std::vector<std::string> stalls;
  std::size_t unrecorded = 0;
  std::map<std::string, store::JobRecord> last_jobs;  // by workflow
  bool actions = false;                                // Run forms (the runner has an API token)
};
std::string render_index(const runner::ConfigStatus& status, const config::Config& config,
                         const std::vector<store::JobRecord>& jobs, std::optional<std::int64_t> older,
                         const IndexView& view = {});
// "just now", "42 s ago", "3 min ago", "5 h ago", "2 d ago" (ages under 0: "just now").
std::string relative_time(std::int64_t at_ms, std::int64_t now_ms);
// LOG: the job's log, or its end when long (TRUNCATED bytes left out before it).
// ACTIONS: show cancel / rerun / promote forms (the runner has an API token).
// APP: the review app of JOB's pull request, if the runner made one.
std::string render_job(const store::JobRecord& job, const std::string& log, std::uint64_t truncated, bool actions,
                       const std::optional<store::ReviewApp>& app = std::nullopt);
// A page saying an action failed, with a link back to the job.
std::string render_action_error(std::int64_t job, int status, const std::string& message);

}  // namespace cwf::server
