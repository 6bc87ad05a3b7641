#include "server/web_ui.hh"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "cli/job_output.hh"
#include "config/names.hh"
#include "executor/job_log.hh"
#include "notify/event.hh"
#include "server/templates.hh"

namespace cwf::server {
namespace {

using json = nlohmann::json;

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

std::int64_t now_of(const Viewer& v) { return v.now_ms ? v.now_ms : store::now_ms(); }

// The sign-in link of a page: back to it once signed in.
std::string login_link(const Viewer& v) {
  return v.path == "/" ? "/login" : "/login?next=" + httplib::detail::encode_query_param(v.path);
}

// Started and (once done) finished, for the script to tick a running one;
// the duration so far as the server saw it, for a page without script.
void times(json& out, std::optional<std::int64_t> started, std::optional<std::int64_t> finished, std::int64_t now) {
  if (started && now < *started) now = *started;  // a clock read before the job started
  out["started_ms"] = started ? json(std::to_string(*started)) : json(nullptr);
  out["finished_ms"] = finished ? json(std::to_string(*finished)) : json(nullptr);
  out["duration"] = cli::format_duration_ms(started, finished ? finished : started ? std::optional(now) : std::nullopt);
}

// What the list and a job's page say of a job: its PR (linked only to an
// http(s) page), its commit's first line and author (the pusher's text).
json job_summary(const store::JobRecord& j, std::int64_t now) {
  json out = {{"id", std::to_string(j.id)}, {"workflow", j.workflow}, {"state", store::to_string(j.state)},
              {"color", color_of(j.state)}, {"branch", j.branch}, {"sha", j.commit_sha.substr(0, 12)},
              {"title", j.commit_title}, {"author", j.commit_author}, {"trigger", j.trigger},
              {"at", executor::format_time(j.created_at)}, {"at_ms", std::to_string(j.created_at)},
              {"ago", relative_time(j.created_at, now)}, {"pr", nullptr}};
  if (j.pull_request)
    out["pr"] = {{"number", std::to_string(*j.pull_request)}, {"url", j.pull_request_url}};
  times(out, j.started_at, j.finished_at, now);
  return out;
}

// "workflow=deploy&state=failed&" (URL-encoded), for links that keep the filters.
std::string filter_query(const store::JobFilter& f) {
  std::string q;
  if (!f.workflow.empty()) q += "workflow=" + httplib::detail::encode_query_param(f.workflow) + "&";
  if (f.state) q += std::string("state=") + store::to_string(*f.state) + "&";
  if (!f.branch.empty()) q += "branch=" + httplib::detail::encode_query_param(f.branch) + "&";
  return q;
}

// The filter form's choices: the filters live in the URL, so a filtered list
// can be shared or bookmarked.
json filter_view(const config::Config& config, const store::JobFilter& f) {
  auto option = [](const std::string& value, const std::string& label, bool selected) {
    return json{{"value", value}, {"label", label}, {"selected", selected}};
  };
  json workflows = json::array({option("", "any", f.workflow.empty())});
  bool listed = f.workflow.empty();
  for (const auto& w : config.workflows) {
    workflows.push_back(option(w.name, w.name, w.name == f.workflow));
    listed = listed || w.name == f.workflow;
  }
  if (!listed) workflows.push_back(option(f.workflow, f.workflow + " (gone)", true));  // a removed workflow's jobs stay findable
  json states = json::array({option("", "any", !f.state)});
  for (auto s : {store::JobState::queued, store::JobState::waiting, store::JobState::running, store::JobState::succeeded,
                 store::JobState::failed, store::JobState::cancelled, store::JobState::skipped, store::JobState::interrupted})
    states.push_back(option(store::to_string(s), store::to_string(s), f.state == s));
  return {{"workflows", workflows}, {"states", states}, {"branch", f.branch},
          {"active", !f.workflow.empty() || f.state || !f.branch.empty()}};
}

// Nothing when all is well: a failing remote, a stuck worker or a store that
// refuses writes each get a line, readable without colour.
void health(const IndexView& view, std::int64_t now, json& out) {
  json remotes = json::array();
  for (const auto& r : view.remotes) {
    if (r.failures == 0) continue;
    std::string next = r.in_flight || r.next_poll_at == 0 ? "being tried now"
                       : r.next_poll_at <= now          ? "tried again now"
                                                        : "tried again in " + std::to_string((r.next_poll_at - now + 999) / 1000) + " s";
    remotes.push_back({{"url", config::redact_url(r.url)}, {"failures", std::to_string(r.failures)}, {"next", next},
                       {"error", r.last_error.substr(0, 300)}});
  }
  out["remotes"] = remotes;
  out["stalls"] = view.stalls;
  out["unrecorded"] = view.unrecorded ? json(std::to_string(view.unrecorded)) : json(nullptr);
  // An error of the last hour: older ones are history (the runner's log keeps them).
  bool recent = view.store_error.at_ms > 0 && now - view.store_error.at_ms < 3600 * 1000;
  out["store_error"] = recent ? json{{"message", view.store_error.message.substr(0, 300)},
                                     {"ago", relative_time(view.store_error.at_ms, now)}}
                              : json(nullptr);
  auto about = [&](const store::Notification& n) {
    auto target = notify::parse_target(n.target);
    return json{{"job", std::to_string(n.job_id)}, {"event", n.event},
                {"target", target ? notify::describe(*target) : "(unreadable)"},
                {"attempts", std::to_string(n.attempts)}, {"error", n.last_error.substr(0, 300)}};
  };
  bool gave_up = view.gave_up && view.gave_up->finished_at && now - *view.gave_up->finished_at < 86400 * 1000;
  out["gave_up"] = gave_up ? about(*view.gave_up) : json(nullptr);
  if (gave_up) out["gave_up"]["ago"] = relative_time(*view.gave_up->finished_at, now);
  json retrying = json::array();
  for (const auto& n : view.retrying) retrying.push_back(about(n));
  out["retrying"] = retrying;
  out["has_trouble"] = !remotes.empty() || !view.stalls.empty() || view.unrecorded > 0 || recent || gave_up ||
                       !retrying.empty();
}

std::string page(const std::string& title, const std::string& body, bool refresh, const Viewer& viewer) {
  json session = viewer.signed_in() ? json{{"csrf", viewer.csrf}} : json(nullptr);
  return render_template("layout", {{"title", title}, {"body", body}, {"refresh", refresh},
                                    {"version", asset_version()}, {"now_ms", std::to_string(now_of(viewer))},
                                    {"session", session}, {"sign_in", !viewer.signed_in() && viewer.can_sign_in},
                                    {"login", login_link(viewer)}});
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

std::string commit_url(const store::JobRecord& j) {
  std::string base = config::redact_url(j.remote);
  if (base.rfind("https://", 0) != 0 && base.rfind("http://", 0) != 0) return "";
  if (base.find_first_of("@?#<>\"' ") != std::string::npos) return "";  // credentials redacted, or no plain URL
  if (base.size() > 4 && base.compare(base.size() - 4, 4, ".git") == 0) base.resize(base.size() - 4);
  if (j.commit_sha.find_first_not_of("0123456789abcdef") != std::string::npos || j.commit_sha.empty()) return "";
  if (j.integration == "github") return base + "/commit/" + j.commit_sha;
  if (j.integration == "gitlab") return base + "/-/commit/" + j.commit_sha;
  return "";
}

std::string render_index(const runner::ConfigStatus& status, const config::Config& config,
                         const std::vector<store::JobRecord>& jobs, std::optional<std::int64_t> older,
                         const IndexView& view, const Viewer& viewer) {
  std::int64_t now = now_of(viewer);
  json v;
  v["config"] = {{"source", status.source}, {"ready", status.ready},
                 {"applied", status.last_applied_revision.substr(0, 12)},
                 {"attempted", status.last_attempted_revision.substr(0, 12)}, {"errors", status.errors}};
  health(view, now, v);
  v["filter"] = filter_view(config, view.filter);
  json rows = json::array();
  for (const auto& j : jobs) rows.push_back(job_summary(j, now));
  v["jobs"] = rows;
  bool filtered = !view.filter.workflow.empty() || view.filter.state || !view.filter.branch.empty();
  v["empty"] = !jobs.empty() ? json(nullptr)
               : filtered    ? json("No job matches these filters.")
                             : json("No jobs yet: push to a watched branch.");
  v["older"] = older ? json("/?" + filter_query(view.filter) + "before=" + std::to_string(*older)) : json(nullptr);
  return page("convox-workflows", render_template("index", v), false, viewer);
}

std::string render_workflows(const config::Config& config, const std::map<std::string, store::JobRecord>& last_jobs,
                             const Viewer& viewer) {
  json v;
  v["run_column"] = viewer.can_sign_in;
  v["login"] = login_link(viewer);
  v["csrf"] = viewer.csrf;
  json workflows = json::array();
  for (const auto& w : config.workflows) {
    // The Run form's branch: the trigger's, when it names one branch (no glob).
    const std::string& branch = w.trigger.branch;
    bool plain = !branch.empty() && branch.find_first_of("*?[") == std::string::npos;
    json row = {{"name", w.name}, {"integration", config::to_string(w.trigger.integration)},
                {"repository", w.trigger.repository}, {"branch", config::branch_label(w.trigger)},
                {"concurrency", config::to_string(w.concurrency)}, {"tasks", std::to_string(w.tasks.size())},
                {"run", viewer.signed_in()}, {"branch_value", plain ? branch : ""}, {"last", nullptr}};
    if (auto it = last_jobs.find(w.name); it != last_jobs.end())
      row["last"] = {{"id", std::to_string(it->second.id)}, {"state", store::to_string(it->second.state)},
                     {"color", color_of(it->second.state)}};
    workflows.push_back(row);
  }
  v["workflows"] = workflows;
  return page("workflows · convox-workflows", render_template("workflows", v), false, viewer);
}

std::string render_action_error(std::int64_t job, int status, const std::string& message, const Viewer& viewer) {
  json v = {{"message", message}, {"status", std::to_string(status)},
            {"back", job ? "/jobs/" + std::to_string(job) : "/"},
            {"back_label", job ? "back to job " + std::to_string(job) : "back to all jobs"}};
  return page("error", render_template("message", v), false, viewer);
}

std::string render_login(const std::string& next, const std::string& error, const Viewer& viewer) {
  Viewer anonymous = viewer;
  anonymous.can_sign_in = false;  // no "Sign in" link on the sign-in page
  return page("sign in", render_template("login", {{"next", next}, {"error", error}}), false, anonymous);
}

std::string render_job_head(const store::JobRecord& j, const std::optional<store::ReviewApp>& app,
                            const Viewer& viewer) {
  std::int64_t now = now_of(viewer);
  json v = job_summary(j, now);
  v["reason"] = j.reason;
  v["sha"] = j.commit_sha;
  v["commit_url"] = commit_url(j);
  v["parent"] = j.parent_job_id ? json(std::to_string(*j.parent_job_id)) : json(nullptr);
  v["app"] = nullptr;
  if (app)  // the URL is the rack's "https://" + a domain the CLI printed; only such a one is a link
    v["app"] = {{"name", app->app}, {"rack", app->rack}, {"state", app->state},
                {"url", app->url.rfind("https://", 0) == 0 ? app->url : ""}};
  json tasks = json::array();
  json promotes = json::array();
  for (const auto& t : j.tasks) {
    json row = {{"state", store::to_string(t.state)}, {"color", task_color(t.state)}, {"name", t.name},
                {"type", t.type}, {"build", t.build_id}, {"release", t.release_id}, {"reason", t.reason}};
    times(row, t.started_at, t.finished_at, now);
    tasks.push_back(row);
    if ((t.type == "build" || t.type == "copy") && t.state == store::TaskState::succeeded && !t.release_id.empty())
      promotes.push_back({{"task", std::to_string(t.index)}, {"release", t.release_id}});
  }
  v["tasks"] = tasks;
  bool running = !store::is_final(j.state);
  v["actions"] = viewer.signed_in() ? json{{"cancel", running}, {"rerun", !running && !j.remote.empty()},
                                           {"promotes", promotes}, {"csrf", viewer.csrf}}
                                    : json(nullptr);
  v["sign_in"] = !viewer.signed_in() && viewer.can_sign_in;
  v["login"] = login_link(viewer);
  return render_template("job_head", v);
}

std::string render_job(const store::JobRecord& j, const JobView& view, const Viewer& viewer) {
  bool running = !store::is_final(j.state);
  json v = {{"id", std::to_string(j.id)}, {"head", render_job_head(j, view.app, viewer)}, {"running", running},
            {"truncated", view.truncated ? json(std::to_string(view.truncated)) : json(nullptr)},
            {"log", view.log_html}, {"events", view.events}};
  return page("job " + std::to_string(j.id) + " · " + j.workflow, render_template("job", v), running, viewer);
}

}  // namespace cwf::server
