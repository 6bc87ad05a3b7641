#pragma once

// The web UI's pages: views of the runner's state, rendered by the templates
// in web/templates (templates.hh). Every page works without JavaScript;
// web/static/app.js adds the live parts (the list refreshing itself, a job's
// log and state over server-sent events, ticking times).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runner/reconciler.hh"
#include "store/job_store.hh"
#include "watcher/poller.hh"

namespace cwf::server {

std::string html_escape(std::string_view text);

// Who looks at a page: signed in (CSRF is the session's form token) or not,
// and whether signing in is possible (the runner has an API token).
struct Viewer {
  std::string csrf;  // empty: not signed in
  bool can_sign_in = false;
  std::int64_t now_ms = 0;  // 0: the clock's now
  std::string path = "/";   // the page's: signing in leads back to it
  bool signed_in() const { return !csrf.empty(); }
};

// The jobs list: FILTER's workflow, state and branch (kept in the page's
// links and its filter form), times relative to the viewer's now (absolute on
// hover). The runner's health shown above it: failing remotes (and when each
// is tried next), what the watchdog finds stuck, job ends the store refused.
struct IndexView {
  store::JobFilter filter;
  std::vector<watcher::RemoteStatus> remotes;
  std::vector<std::string> stalls;
  std::size_t unrecorded = 0;
  store::JobStore::LastError store_error;  // the job store's last error, if any
  // Notifications in trouble: the newest given up (shown for a day), and the
  // pending ones whose last attempt failed (being retried).
  std::optional<store::Notification> gave_up;
  std::vector<store::Notification> retrying;
};
std::string render_index(const runner::ConfigStatus& status, const config::Config& config,
                         const std::vector<store::JobRecord>& jobs, std::optional<std::int64_t> older,
                         const IndexView& view, const Viewer& viewer);
// The workflows page: each workflow's trigger, its last job (LAST_JOBS, by
// workflow) and a Run form for a signed-in viewer.
std::string render_workflows(const config::Config& config, const std::map<std::string, store::JobRecord>& last_jobs,
                             const Viewer& viewer);
// "just now", "42 s ago", "3 min ago", "5 h ago", "2 d ago" (ages under 0: "just now").
std::string relative_time(std::int64_t at_ms, std::int64_t now_ms);

// A job's page. LOG_HTML: its log rendered (log_html.hh), TRUNCATED bytes
// left out before it; EVENTS: the URL of its live stream while it runs
// (empty: none). APP: the review app of JOB's pull request, if any.
struct JobView {
  std::string log_html;
  std::uint64_t truncated = 0;
  std::string events;
  std::optional<store::ReviewApp> app;
};
std::string render_job(const store::JobRecord& job, const JobView& view, const Viewer& viewer);
// The part of a job's page the live stream sends again when it changes:
// state, commit, tasks, buttons.
std::string render_job_head(const store::JobRecord& job, const std::optional<store::ReviewApp>& app,
                            const Viewer& viewer);
// A page saying an action failed, with a link back to the job (0: the list).
std::string render_action_error(std::int64_t job, int status, const std::string& message, const Viewer& viewer);
// The sign-in form; NEXT: the page to return to; ERROR: why the last try failed.
std::string render_login(const std::string& next, const std::string& error, const Viewer& viewer);
// A job's commit on its forge (GitHub's /commit/, GitLab's /-/commit/), when
// its remote is an https URL of one; empty otherwise.
std::string commit_url(const store::JobRecord& job);

}  // namespace cwf::server
