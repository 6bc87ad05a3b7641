#include "server/api_json.hh"

#include "notify/event.hh"

namespace cwf::server {
namespace {

template <typename T>
nlohmann::ordered_json optional_value(const std::optional<T>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json();
}

nlohmann::ordered_json duration_ms(const std::optional<std::int64_t>& start, const std::optional<std::int64_t>& end) {
  return start && end ? nlohmann::ordered_json(*end - *start) : nlohmann::ordered_json();
}

}  // namespace

nlohmann::ordered_json job_json(const store::JobRecord& j, bool with_tasks) {
  nlohmann::ordered_json out = {{"id", j.id},
                                {"workflow", j.workflow},
                                {"repository", j.repository},
                                {"branch", j.branch},
                                {"commit", j.commit_sha},
                                {"trigger", j.trigger},
                                {"state", store::to_string(j.state)},
                                {"reason", j.reason},
                                {"parent_job_id", optional_value(j.parent_job_id)},
                                {"created_at", j.created_at},
                                {"started_at", optional_value(j.started_at)},
                                {"finished_at", optional_value(j.finished_at)},
                                {"duration_ms", duration_ms(j.started_at, j.finished_at)},
                                {"pull_request", optional_value(j.pull_request)},
                                {"pull_request_url", j.pull_request_url},
                                {"untrusted", j.untrusted},
                                {"commit_title", j.commit_title},
                                {"commit_author", j.commit_author}};
  if (!with_tasks) return out;
  auto tasks = nlohmann::ordered_json::array();
  for (const auto& t : j.tasks)
    tasks.push_back({{"index", t.index},
                     {"name", t.name},
                     {"type", t.type},
                     {"state", store::to_string(t.state)},
                     {"reason", t.reason},
                     {"exit_code", optional_value(t.exit_code)},
                     {"signal", optional_value(t.signal)},
                     {"started_at", optional_value(t.started_at)},
                     {"finished_at", optional_value(t.finished_at)},
                     {"duration_ms", duration_ms(t.started_at, t.finished_at)},
                     {"build_id", t.build_id},
                     {"release_id", t.release_id},
                     {"log_bytes", t.log_bytes}});
  out["tasks"] = std::move(tasks);
  return out;
}

nlohmann::ordered_json config_json(const runner::ConfigStatus& s) {
  return {{"source", s.source},
          {"ready", s.ready},
          {"errors", s.errors},
          {"last_applied_revision", s.last_applied_revision},
          {"last_attempted_revision", s.last_attempted_revision},
          {"last_applied_at", s.last_applied_at},
          {"last_attempted_at", s.last_attempted_at},
          {"workflows", s.workflows}};
}

nlohmann::ordered_json review_app_json(const store::ReviewApp& a) {
  return {{"repository", a.repository},
          {"workflow", a.workflow},
          {"pull_request", a.pull_request},
          {"app", a.app},
          {"rack", a.rack},
          {"url", a.url},
          {"state", a.state},
          {"last_commit", a.last_commit},
          {"created_at", a.created_at},
          {"deployed_at", optional_value(a.deployed_at)},
          {"deleted_at", optional_value(a.deleted_at)}};
}

nlohmann::ordered_json notification_json(const store::Notification& n) {
  auto target = notify::parse_target(n.target);
  return {{"id", n.id},
          {"delivery", n.delivery},
          {"job", n.job_id},
          {"workflow", n.workflow},
          {"event", n.event},
          {"target", target ? notify::describe(*target) : "(unreadable)"},
          {"kind", target ? (target->slack ? "slack" : "webhook") : ""},
          {"state", n.state},
          {"attempts", n.attempts},
          {"last_status", n.last_status ? nlohmann::ordered_json(*n.last_status) : nlohmann::ordered_json()},
          {"last_error", n.last_error},
          {"created_at", n.created_at},
          {"next_at", n.state == "pending" ? nlohmann::ordered_json(n.next_at) : nlohmann::ordered_json()},
          {"finished_at", optional_value(n.finished_at)}};
}

nlohmann::ordered_json workflow_json(const config::Workflow& w, const store::JobRecord* last, bool watching) {
  auto tasks = nlohmann::ordered_json::array();
  for (const auto& t : w.tasks) tasks.push_back({{"name", t.name}, {"type", config::to_string(t.type)}});
  return {{"name", w.name},
          {"trigger",
           {{"integration", config::to_string(w.trigger.integration)},
            {"repository", w.trigger.repository},
            {"branch", w.trigger.branch},
            {"pull_request", w.trigger.pull_request ? nlohmann::ordered_json{{"base", w.trigger.pull_request->base},
                                                                              {"forks", w.trigger.pull_request->forks},
                                                                              {"drafts", w.trigger.pull_request->drafts}}
                                                    : nlohmann::ordered_json()},
            {"paths", w.trigger.paths},
            {"require_status", w.trigger.require_status}}},
          {"concurrency", config::to_string(w.concurrency)},
          {"tasks", std::move(tasks)},
          {"watching", watching},
          {"last_job", last ? job_json(*last, false) : nlohmann::ordered_json()}};
}

}  // namespace cwf::server
