#include "server/web_ui.hh"

#include <httplib.h>

#include "server/log_html.hh"

#include "cli/job_output.hh"
#include "config/names.hh"
#include "executor/job_log.hh"

namespace cwf::server {
namespace {

const char* kStyle = R"(<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:72em;padding:0 1em;color:#222}
table{border-collapse:collapse;width:100%}td,th{padding:.25em .6em;text-align:left;border-bottom:1px solid #eee}
.dot{display:inline-block;width:.8em;height:.8em;border-radius:50%;vertical-align:middle}
.red{background:#d73a49}.green{background:#28a745}.grey{background:#aaa}.amber{background:#f0ad00}
code,pre{font:12px/1.35 ui-monospace,monospace}pre{background:#f6f8fa;padding:1em;overflow:auto;white-space:pre-wrap}
.err{color:#b31d28}.muted{color:#777}a{color:#0366d6}
.ansi-bold{font-weight:bold}.ansi-black{color:#24292e}.ansi-red{color:#b31d28}.ansi-green{color:#22863a}
.ansi-yellow{color:#8a6d00}.ansi-blue{color:#005cc5}.ansi-magenta{color:#6f42c1}.ansi-cyan{color:#1b7c83}
.ansi-white{color:#6a737d}.ansi-bright-black{color:#586069}.ansi-bright-red{color:#cb2431}
.ansi-bright-green{color:#28a745}.ansi-bright-yellow{color:#b08800}.ansi-bright-blue{color:#2188ff}
.ansi-bright-magenta{color:#8a63d2}.ansi-bright-cyan{color:#3192aa}.ansi-bright-white{color:#959da5}
</style>)";

// The indicator: red failed, green succeeded, grey skipped or cancelled, amber not done yet.
const char* color_of(store::JobState s) {
  switch (s) {
    case store::JobState::succeeded: return "green";
    case store::JobState::failed:
    case store::JobState::interrupted: return "red";
    case store::JobState::skipped:
    case store::JobState::cancelled: return "grey";
    default: return "amber";
  }
}

const char* task_color(store::TaskState s) {
  switch (s) {
    case store::TaskState::succeeded: return "green";
    case store::TaskState::failed:
    case store::TaskState::timed_out: return "red";
    case store::TaskState::allowed_failure:
    case store::TaskState::running:
    case store::TaskState::pending: return "amber";
    default: return "grey";
  }
}

// The branch, or the pull request (linked to its page on the forge) and its branch.
std::string branch_cell(const store::JobRecord& j) {
  if (!j.pull_request) return html_escape(j.branch);
  std::string pr = "PR #" + std::to_string(*j.pull_request);
  if (!j.pull_request_url.empty()) pr = "<a href=\"" + html_escape(j.pull_request_url) + "\">" + pr + "</a>";
  return pr + " <code>" + html_escape(j.branch) + "</code>";
}

// The short commit, its message's first line and its author (the pusher's text, escaped).
std::string commit_cell(const store::JobRecord& j) {
  std::string out = "<code>" + html_escape(j.commit_sha.substr(0, 12)) + "</code>";
  if (!j.commit_title.empty()) out += " " + html_escape(j.commit_title);
  if (!j.commit_author.empty()) out += " <span class=\"muted\">" + html_escape(j.commit_author) + "</span>";
  return out;
}

// "Review app web-pr-7 on acme/dev: https://... (active)", linked.
std::string review_app_line(const std::optional<store::ReviewApp>& app) {
  if (!app) return "";
  std::string where = html_escape(app->app) + (app->rack.empty() ? "" : " on " + html_escape(app->rack));
  // The URL is the rack's "https://" + a domain the CLI printed; only such a one is a link.
  std::string url = app->url.rfind("https://", 0) == 0 ? "<a id=\"review-app\" href=\"" + html_escape(app->url) + "\">" +
                                                             html_escape(app->url) + "</a>"
                                                       : "no URL";
  return "<p>Review app " + where + ": " + url + " (" + html_escape(app->state) + ")</p>\n";
}

// "workflow=deploy&state=failed&" (URL-encoded), for links that keep the filters.
std::string filter_query(const store::JobFilter& f) {
  std::string q;
  if (!f.workflow.empty()) q += "workflow=" + httplib::detail::encode_query_param(f.workflow) + "&";
  if (f.state) q += std::string("state=") + store::to_string(*f.state) + "&";
  if (!f.branch.empty()) q += "branch=" + httplib::detail::encode_query_param(f.branch) + "&";
  return q;
}

// A GET form: the filters live in the URL, so a filtered list can be shared or bookmarked.
std::string filter_form(const config::Config& config, const store::JobFilter& f) {
  auto option = [](const std::string& value, const std::string& label, bool selected) {
    return "<option value=\"" + html_escape(value) + "\"" + (selected ? " selected" : "") + ">" + html_escape(label) +
           "</option>";
  };
  std::string b = "<form id=\"filters\" method=\"get\" action=\"/\"><label>workflow <select name=\"workflow\">" +
                  option("", "any", f.workflow.empty());
  bool listed = f.workflow.empty();
  for (const auto& w : config.workflows) {
    b += option(w.name, w.name, w.name == f.workflow);
    listed = listed || w.name == f.workflow;
  }
  if (!listed) b += option(f.workflow, f.workflow + " (gone)", true);  // a removed workflow's jobs stay findable
  b += "</select></label> <label>state <select name=\"state\">" + option("", "any", !f.state);
  for (auto s : {store::JobState::queued, store::JobState::waiting, store::JobState::running, store::JobState::succeeded,
                 store::JobState::failed, store::JobState::cancelled, store::JobState::skipped, store::JobState::interrupted})
    b += option(store::to_string(s), store::to_string(s), f.state == s);
  b += "</select></label> <label>branch <input name=\"branch\" value=\"" + html_escape(f.branch) +
       "\" size=\"16\" maxlength=\"255\"></label> <button type=\"submit\">filter</button>";
  if (!f.workflow.empty() || f.state || !f.branch.empty()) b += " <a href=\"/\">clear</a>";
  return b + "</form>\n";
}

// Nothing when all is well: a failing remote, a stuck worker or a store that
// refuses writes each get a line, readable without colour.
std::string health(const IndexView& view) {
  std::string items;
  std::int64_t now = view.now_ms ? view.now_ms : store::now_ms();
  for (const auto& r : view.remotes) {
    if (r.failures == 0) continue;
    std::string next = r.in_flight || r.next_poll_at == 0 ? "being tried now"
                       : r.next_poll_at <= now          ? "tried again now"
                                                        : "tried again in " + std::to_string((r.next_poll_at - now + 999) / 1000) + " s";
    items += "<li>remote <code>" + html_escape(config::redact_url(r.url)) + "</code> failing (" +
             std::to_string(r.failures) + " in a row, " + next + "): <code>" + html_escape(r.last_error.substr(0, 300)) +
             "</code></li>";
  }
  for (const auto& s : view.stalls) items += "<li>stuck: " + html_escape(s) + "</li>";
  if (view.unrecorded > 0)
    items += "<li>the job store refuses writes: " + std::to_string(view.unrecorded) +
             " job end(s) kept in memory, retried until it takes them</li>";
  if (items.empty()) return "";
  return "<h2>Trouble</h2>\n<ul id=\"health\" class=\"err\">" + items + "</ul>\n";
}

// Run WORKFLOW now: a branch's head (its trigger's branch when that is no
// glob) or a commit; the API token as a field, like the job pages' buttons.
std::string run_form(const config::Workflow& w) {
  const std::string& branch = w.trigger.branch;
  bool plain = !branch.empty() && branch.find_first_of("*?[") == std::string::npos;
  return "<form method=\"post\" action=\"/workflows/" + html_escape(w.name) + "/run\" class=\"run\">"
         "<input name=\"branch\" placeholder=\"branch\" size=\"12\" maxlength=\"255\" value=\"" +
         (plain ? html_escape(branch) : "") + "\" aria-label=\"branch\"> "
         "<input name=\"commit\" placeholder=\"or commit\" size=\"12\" maxlength=\"40\" aria-label=\"commit\"> "
         "<input type=\"password\" name=\"token\" placeholder=\"API token\" required aria-label=\"API token\"> "
         "<button type=\"submit\">Run</button></form>";
}

std::string page(const std::string& title, const std::string& body, bool refresh) {
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + html_escape(title) +
         "</title>" + (refresh ? "<meta http-equiv=\"refresh\" content=\"2\">" : "") + kStyle + "</head><body>\n" +
         body + "</body></html>\n";
}

std::string dot(const char* color, const char* state) {
  return std::string("<span class=\"dot ") + color + "\" title=\"" + state + "\"></span> " + state;
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string relative_time(std::int64_t at_ms, std::int64_t now_ms) {
  std::int64_t s = (now_ms - at_ms) / 1000;
  if (s < 5) return "just now";
  if (s < 60) return std::to_string(s) + " s ago";
  if (s < 3600) return std::to_string(s / 60) + " min ago";
  if (s < 86400) return std::to_string(s / 3600) + " h ago";
  return std::to_string(s / 86400) + " d ago";
}

std::string render_index(const runner::ConfigStatus& status, const config::Config& config,
                         const std::vector<store::JobRecord>& jobs, std::optional<std::int64_t> older,
                         const IndexView& view) {
  std::string b = "<h1>convox-workflows</h1>\n<h2>Workflows file</h2>\n<p>" + html_escape(status.source) + ": ";
  if (status.ready) {
    b += dot("green", "ready") + " at <code>" + html_escape(status.last_applied_revision.substr(0, 12)) + "</code>";
  } else {
    b += dot("red", "not ready") + " &mdash; the last good revision (<code>" +
         html_escape(status.last_applied_revision.substr(0, 12)) + "</code>) keeps running. Revision <code>" +
         html_escape(status.last_attempted_revision.substr(0, 12)) + "</code>:</p>\n<ul class=\"err\">";
    for (const auto& e : status.errors) b += "<li><code>" + html_escape(e) + "</code></li>";
    b += "</ul><p>";
  }
  b += "</p>\n" + health(view);
  b += "<table id=\"workflows\"><tr><th>workflow</th><th>trigger</th><th>branch</th><th>concurrency</th><th>tasks</th>"
       "<th>last job</th>" + std::string(view.actions ? "<th>run</th>" : "") + "</tr>\n";
  for (const auto& w : config.workflows) {
    b += "<tr><td>" + html_escape(w.name) + "</td><td>" + config::to_string(w.trigger.integration) + " " +
         html_escape(w.trigger.repository) + "</td><td><code>" + html_escape(config::branch_label(w.trigger)) +
         "</code></td><td>" + config::to_string(w.concurrency) + "</td><td>" + std::to_string(w.tasks.size()) + "</td><td>";
    if (auto it = view.last_jobs.find(w.name); it != view.last_jobs.end())
      b += "<a href=\"/jobs/" + std::to_string(it->second.id) + "\">#" + std::to_string(it->second.id) + "</a> " +
           dot(color_of(it->second.state), store::to_string(it->second.state));
    else
      b += "<span class=\"muted\">none yet</span>";
    b += "</td>";
    if (view.actions) b += "<td>" + run_form(w) + "</td>";
    b += "</tr>\n";
  }
  b += "</table>\n<h2>Jobs</h2>\n" + filter_form(config, view.filter) +
       "<table id=\"jobs\"><tr><th>#</th><th>state</th><th>workflow</th><th>branch</th><th>commit</th>"
       "<th>trigger</th><th>created</th><th>duration</th></tr>\n";
  std::int64_t now = view.now_ms ? view.now_ms : store::now_ms();
  for (const auto& j : jobs) {
    std::string id = std::to_string(j.id), at = executor::format_time(j.created_at);
    b += "<tr class=\"job\" data-state=\"" + std::string(store::to_string(j.state)) + "\"><td><a href=\"/jobs/" + id +
         "\">#" + id + "</a></td><td>" + dot(color_of(j.state), store::to_string(j.state)) + "</td><td>" +
         html_escape(j.workflow) + "</td><td>" + branch_cell(j) + "</td><td>" + commit_cell(j) + "</td><td>" +
         html_escape(j.trigger) + "</td><td><time datetime=\"" + at + "\" title=\"" + at + "\">" +
         relative_time(j.created_at, now) + "</time></td><td>" + cli::format_duration_ms(j.started_at, j.finished_at) +
         "</td></tr>\n";
  }
  b += "</table>\n";
  bool filtered = !view.filter.workflow.empty() || view.filter.state || !view.filter.branch.empty();
  if (jobs.empty()) b += filtered ? "<p class=\"muted\">No job matches these filters.</p>\n"
                                  : "<p class=\"muted\">No jobs yet: push to a watched branch.</p>\n";
  if (older) b += "<p><a href=\"/?" + filter_query(view.filter) + "before=" + std::to_string(*older) + "\">older jobs</a></p>\n";
  return page("convox-workflows", b, false);
}

namespace {

// A form posting the API token (a browser cannot send a bearer header without JavaScript).
std::string action_form(const std::string& action, const std::string& label) {
  return "<form method=\"post\" action=\"" + action + "\" style=\"display:inline\">"
         "<input type=\"password\" name=\"token\" placeholder=\"API token\" required> "
         "<button type=\"submit\">" + label + "</button></form> ";
}

}  // namespace

std::string render_action_error(std::int64_t job, int status, const std::string& message) {
  std::string back = job ? "<a href=\"/jobs/" + std::to_string(job) + "\">back to job " + std::to_string(job) + "</a>"
                         : "<a href=\"/\">back to all jobs</a>";
  return page("error", "<p class=\"err\">" + html_escape(message) + " (HTTP " + std::to_string(status) + ")</p><p>" +
                           back + "</p>\n",
              false);
}

std::string render_job(const store::JobRecord& j, const std::string& log, std::uint64_t truncated, bool actions,
                       const std::optional<store::ReviewApp>& app) {
  bool running = !store::is_final(j.state);
  std::string b = "<p><a href=\"/\">&larr; all jobs</a></p>\n<h1>Job " + std::to_string(j.id) + ": " +
                  html_escape(j.workflow) + "</h1>\n<p>" + dot(color_of(j.state), store::to_string(j.state)) +
                  (j.reason.empty() ? "" : " &mdash; " + html_escape(j.reason)) + "</p>\n<p>" + branch_cell(j) +
                  " <code>" + html_escape(j.commit_sha) + "</code>" +
                  (j.commit_title.empty() ? "" : " " + html_escape(j.commit_title)) +
                  (j.commit_author.empty() ? "" : " (" + html_escape(j.commit_author) + ")") + ", " + html_escape(j.trigger) + ", created " +
                  html_escape(executor::format_time(j.created_at)) + ", " +
                  cli::format_duration_ms(j.started_at, j.finished_at) +
                  (j.parent_job_id ? ", rerun of <a href=\"/jobs/" + std::to_string(*j.parent_job_id) + "\">job " +
                                         std::to_string(*j.parent_job_id) + "</a>"
                                   : "") +
                  "</p>\n" + review_app_line(app) + "<table id=\"tasks\"><tr><th></th><th>task</th><th>type</th><th>duration</th><th>build</th>"
                  "<th>release</th><th>reason</th></tr>\n";
  for (const auto& t : j.tasks)
    b += "<tr><td>" + dot(task_color(t.state), store::to_string(t.state)) + "</td><td>" + html_escape(t.name) +
         "</td><td>" + html_escape(t.type) + "</td><td>" + cli::format_duration_ms(t.started_at, t.finished_at) +
         "</td><td><code>" + html_escape(t.build_id) + "</code></td><td><code>" + html_escape(t.release_id) +
         "</code></td><td>" + html_escape(t.reason) + "</td></tr>\n";
  b += "</table>\n";
  if (actions) {
    std::string base = "/jobs/" + std::to_string(j.id);
    b += "<p id=\"actions\">";
    if (running) b += action_form(base + "/cancel", "Cancel");
    else if (!j.remote.empty()) b += action_form(base + "/rerun", "Rerun");
    for (const auto& t : j.tasks)
      if ((t.type == "build" || t.type == "copy") && t.state == store::TaskState::succeeded && !t.release_id.empty())
        b += action_form(base + "/tasks/" + std::to_string(t.index) + "/promote", "Promote " + html_escape(t.release_id));
    b += "</p>\n";
  }
  b += "<h2>Log</h2>\n";
  if (truncated) b += "<p class=\"muted\">" + std::to_string(truncated) + " bytes before this are left out.</p>\n";
  b += "<pre id=\"log\">" + log_html(log) + "</pre>\n";
  if (running) b += "<p class=\"muted\">Running: this page refreshes every 2 s.</p>\n";
  return page("job " + std::to_string(j.id) + " · " + j.workflow, b, running);
}

}  // namespace cwf::server
