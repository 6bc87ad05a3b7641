#include "notify/event.hh"

#include "config/names.hh"
#include "executor/job_log.hh"

namespace cwf::notify {
namespace {

using nlohmann::ordered_json;
using config::NotifyEvent;

ordered_json optional_time(const std::optional<std::int64_t>& ms) { return ms ? ordered_json(executor::format_time(*ms)) : ordered_json(); }

// "https://host/…": the receiver's origin only. Hooks often carry their
// token in the path or the query (Zapier's, Slack-compatible ones), and
// what is shown reaches logs and the API.
std::string display_url(const std::string& url) {
  std::string shown = config::redact_url(url);
  std::size_t host = shown.find("://");
  std::size_t end = shown.find_first_of("/?#", host == std::string::npos ? 0 : host + 3);
  if (end == std::string::npos) return shown;
  return shown.substr(0, end) + (end + 1 < shown.size() ? "/…" : "");
}

}  // namespace

std::vector<Waiting> waiting_promote(const store::JobRecord& job, const config::Workflow* workflow) {
  std::vector<Waiting> out;
  if (job.state != store::JobState::succeeded || job.promote_task || job.teardown) return out;
  for (const auto& t : job.tasks) {
    if ((t.type != "build" && t.type != "copy") || t.state != store::TaskState::succeeded || t.release_id.empty())
      continue;
    const config::Task* task = nullptr;
    if (workflow && t.index >= 0 && static_cast<std::size_t>(t.index) < workflow->tasks.size() &&
        workflow->tasks[static_cast<std::size_t>(t.index)].name == t.name)
      task = &workflow->tasks[static_cast<std::size_t>(t.index)];
    if (task && task->promote) continue;
    bool promoted = false;
    for (const auto& later : job.tasks)
      promoted = promoted || (later.index > t.index && later.type == "promote" &&
                              later.state == store::TaskState::succeeded && later.release_id == t.release_id);
    if (!promoted) out.push_back({t.index, t.name, task ? task->app : "", t.release_id});
  }
  return out;
}

std::optional<NotifyEvent> event_for(const config::NotifyTarget& target, store::JobState state, bool recovered,
                                     bool waiting) {
  auto pick = [&](std::initializer_list<NotifyEvent> events) -> std::optional<NotifyEvent> {
    for (auto e : events)
      if (target.wants(e)) return e;
    return std::nullopt;
  };
  switch (state) {
    case store::JobState::running: return pick({NotifyEvent::started});
    case store::JobState::failed: return pick({NotifyEvent::failed});
    case store::JobState::cancelled: return pick({NotifyEvent::cancelled});
    case store::JobState::interrupted: return pick({NotifyEvent::interrupted});
    case store::JobState::succeeded:
      if (recovered && target.wants(NotifyEvent::recovered)) return NotifyEvent::recovered;
      if (waiting && target.wants(NotifyEvent::waiting_promote)) return NotifyEvent::waiting_promote;
      return pick({NotifyEvent::succeeded});
    default: return std::nullopt;  // queued, waiting: not an event; skipped: the gate's, not a run's
  }
}

ordered_json payload(NotifyEvent event, const store::JobRecord& job, bool recovered, const std::vector<Waiting>& waiting,
                     const std::string& public_url) {
  ordered_json tasks = ordered_json::array();
  for (const auto& t : job.tasks)
    tasks.push_back({{"name", t.name}, {"type", t.type}, {"state", store::to_string(t.state)}, {"reason", t.reason},
                     {"build", t.build_id.empty() ? ordered_json() : ordered_json(t.build_id)},
                     {"release", t.release_id.empty() ? ordered_json() : ordered_json(t.release_id)}});
  ordered_json waits = ordered_json::array();
  for (const auto& w : waiting)
    waits.push_back({{"task", w.name}, {"app", w.app.empty() ? ordered_json() : ordered_json(w.app)},
                     {"release", w.release}});
  ordered_json pr;
  if (job.pull_request) pr = {{"number", *job.pull_request}, {"url", job.pull_request_url}};
  return {
      {"event", config::to_string(event)},
      {"workflow", job.workflow},
      {"job",
       {{"id", job.id}, {"state", store::to_string(job.state)}, {"reason", job.reason},
        {"url", public_url.empty() ? ordered_json() : ordered_json(public_url + "/jobs/" + std::to_string(job.id))},
        {"trigger", job.trigger},
        {"duration_ms", job.started_at && job.finished_at ? ordered_json(*job.finished_at - *job.started_at) : ordered_json()}}},
      {"repository", job.repository},
      {"branch", job.branch},
      {"pull_request", pr},
      {"commit", {{"sha", job.commit_sha}, {"message", job.commit_title}, {"author", job.commit_author}}},
      {"tasks", tasks},
      {"started_at", optional_time(job.started_at)},
      {"finished_at", optional_time(job.finished_at)},
      {"recovered", recovered},
      {"waiting_promote", waits},
  };
}

std::string to_json(const config::NotifyTarget& t) {
  nlohmann::ordered_json j;
  if (t.slack) j = {{"kind", "slack"}, {"url_env", t.url_env}};
  else j = {{"kind", "webhook"}, {"url", t.url}, {"secret_env", t.secret_env}};
  return j.dump();
}

std::optional<Target> parse_target(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("kind") || !j["kind"].is_string()) return std::nullopt;
  auto str = [&](const char* key) { return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : ""; };
  Target t;
  t.slack = str("kind") == "slack";
  if (!t.slack && str("kind") != "webhook") return std::nullopt;
  t.url = str("url");
  t.url_env = str("url_env");
  t.secret_env = str("secret_env");
  if (t.slack ? t.url_env.empty() : t.url.empty()) return std::nullopt;
  return t;
}

std::string describe(const Target& t) {
  return t.slack ? "slack ($" + t.url_env + ")" : "webhook " + display_url(t.url);
}

}  // namespace cwf::notify
