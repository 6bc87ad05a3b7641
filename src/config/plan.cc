#include "config/plan.hh"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "config/names.hh"

namespace cwf::config {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

std::string js(const std::string& s) { return nlohmann::json(s).dump(); }
std::string js(bool b) { return b ? "true" : "false"; }
std::string js(Seconds d) { return js(format_duration(d)); }
std::string js(const std::vector<std::string>& v) { return nlohmann::json(v).dump(); }

void add_task(Fields& f, const std::string& p, const Task& t, const std::vector<Task>& all) {
  auto put = [&](const std::string& key, std::string value) { f.emplace_back(p + "." + key, std::move(value)); };
  put("type", js(std::string(to_string(t.type))));
  put("name", js(t.name));
  put("timeout", js(t.timeout));
  put("continue_on_error", js(t.continue_on_error));
  if (t.type != TaskType::script) {
    put("app", js(t.app));
    put("rack", js(t.rack));
  }
  if (t.type == TaskType::promote || t.type == TaskType::run) {
    std::string release = t.release;
    if (release.empty() && t.release_from_task)
      release = "(from tasks[" + std::to_string(*t.release_from_task) + "] " + all[*t.release_from_task].name + ")";
    put("release", js(release.empty() ? std::string("(current)") : release));
  }
  switch (t.type) {
    case TaskType::build:
      put("manifest", js(t.manifest));
      put("promote", js(t.promote));
      put("description", js(t.description));
      for (const auto& [k, v] : t.build_args) put("build_args." + k, js(v));
      break;
    case TaskType::run:
      put("service", js(t.service));
      put("command", js(t.command));
      break;
    case TaskType::script:
      if (!t.argv.empty()) put("argv", js(t.argv));
      else put("command", js(t.command));
      for (const auto& [k, v] : t.env) put("env." + k, js(v));
      put("working_directory", js(t.working_directory));
      break;
    case TaskType::copy:
      put("build", js(t.build.empty() && t.build_from_task
                          ? "(from tasks[" + std::to_string(*t.build_from_task) + "] " + all[*t.build_from_task].name + ")"
                          : t.build));
      put("from.app", js(t.from_app));
      put("from.rack", js(t.from_rack));
      break;
    case TaskType::review_app:
      put("manifest", js(t.manifest));
      for (const auto& [k, v] : t.env) put("environment." + k, js(v));
      for (auto [key, c] : {std::pair{"before_promote", &t.before_promote}, {"after_promote", &t.after_promote}})
        if (*c) {
          put(std::string(key) + ".service", js((*c)->service));
          put(std::string(key) + ".command", js((*c)->command));
        }
      if (t.expire_after) put("expire_after", js(*t.expire_after));
      break;
    case TaskType::promote:
      break;
  }
  if (t.health_check) {
    const HealthCheck& h = *t.health_check;
    put("health_check.url", js(h.url));
    put("health_check.timeout", js(h.timeout));
    put("health_check.interval", js(h.interval));
    put("health_check.expect_status",
        js(std::to_string(h.expect_min) + (h.expect_max != h.expect_min ? "-" + std::to_string(h.expect_max) : "")));
  }
}

// "build web", or "script 'test'" when the task has a name of its own.
std::string task_label(const Task& t) {
  std::string label = std::string(to_string(t.type)) + (t.app.empty() ? "" : " " + t.app);
  return t.name == label ? label : label + " '" + t.name + "'";
}

// The notifications a workflow sends, whether its own or the file's: what
// changes for it either way.
void add_notify(Fields& f, const std::vector<NotifyTarget>& targets) {
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const NotifyTarget& t = targets[i];
    std::string p = "notify[" + std::to_string(i) + "].";
    std::vector<std::string> on;
    for (auto e : t.on) on.emplace_back(to_string(e));
    f.emplace_back(p + "on", js(on));
    if (t.slack) {
      f.emplace_back(p + "slack.webhook_url_env", js(t.url_env));
    } else {
      f.emplace_back(p + "webhook.url", js(redact_url(t.url)));
      f.emplace_back(p + "webhook.secret_env", js(t.secret_env));
    }
  }
}

}  // namespace

int Plan::count(WorkflowChange::Kind k) const {
  return static_cast<int>(std::count_if(changes.begin(), changes.end(), [&](const auto& c) { return c.kind == k; }));
}

Fields flatten(const Workflow& w) {
  Fields f;
  f.emplace_back("trigger.integration", js(std::string(to_string(w.trigger.integration))));
  f.emplace_back("trigger.repository", js(w.trigger.repository));
  if (const auto& pr = w.trigger.pull_request) {
    f.emplace_back("trigger.pull_request.base", js(pr->base));
    f.emplace_back("trigger.pull_request.forks", js(pr->forks));
    f.emplace_back("trigger.pull_request.drafts", js(pr->drafts));
  } else {
    f.emplace_back("trigger.branch", js(w.trigger.branch));
  }
  f.emplace_back("trigger.require_status", js(w.trigger.require_status));
  f.emplace_back("trigger.paths", js(w.trigger.paths));
  f.emplace_back("concurrency", js(std::string(to_string(w.concurrency))));
  for (std::size_t i = 0; i < w.tasks.size(); ++i)
    add_task(f, "tasks[" + std::to_string(i) + "]", w.tasks[i], w.tasks);
  return f;
}

std::string summarize(const Workflow& w) {
  std::string s = std::string(to_string(w.trigger.integration)) + " " + w.trigger.repository + " @ " +
                  branch_label(w.trigger) + ": ";
  for (std::size_t i = 0; i < w.tasks.size(); ++i) s += (i ? ", " : "") + task_label(w.tasks[i]);
  return s;
}

Plan diff(const Config& before, const Config& after) {
  Plan plan;
  for (const auto& w : before.workflows)
    if (!after.find(w.name)) plan.changes.push_back({WorkflowChange::Kind::removed, w.name, summarize(w), {}});
  for (const auto& w : after.workflows) {
    const Workflow* old = before.find(w.name);
    if (!old) continue;
    WorkflowChange change{WorkflowChange::Kind::changed, w.name, "", {}};
    Fields a = flatten(*old), b = flatten(w);
    add_notify(a, before.targets_for(*old));
    add_notify(b, after.targets_for(w));
    std::map<std::string, std::string> old_values(a.begin(), a.end());
    std::map<std::string, std::string> new_values(b.begin(), b.end());
    auto task_index = [](const std::string& path) -> int {
      return path.starts_with("tasks[") ? std::stoi(path.substr(6)) : -1;
    };
    int common = static_cast<int>(std::min(old->tasks.size(), w.tasks.size()));
    // Fields of tasks present on both sides, in the new file's order, then removals.
    for (const auto& [path, value] : b) {
      if (task_index(path) >= common) continue;
      auto it = old_values.find(path);
      std::string prev = it == old_values.end() ? "" : it->second;
      if (prev != value) change.fields.push_back({path, prev, value});
    }
    for (const auto& [path, value] : a)
      if (task_index(path) < common && !new_values.count(path)) change.fields.push_back({path, value, ""});
    for (std::size_t i = common; i < w.tasks.size(); ++i)
      change.fields.push_back({"tasks[" + std::to_string(i) + "]", "", js(task_label(w.tasks[i]))});
    for (std::size_t i = common; i < old->tasks.size(); ++i)
      change.fields.push_back({"tasks[" + std::to_string(i) + "]", js(task_label(old->tasks[i])), ""});
    if (!change.fields.empty()) plan.changes.push_back(std::move(change));
  }
  for (const auto& w : after.workflows)
    if (!before.find(w.name)) plan.changes.push_back({WorkflowChange::Kind::added, w.name, summarize(w), {}});
  return plan;
}

std::string format_plan(const Plan& plan) {
  using K = WorkflowChange::Kind;
  if (plan.empty()) return "No changes. The workflows match.\n";
  std::string out;
  for (const auto& c : plan.changes) {
    switch (c.kind) {
      case K::added: out += "+ " + c.name + ": " + c.summary + "\n"; break;
      case K::removed: out += "- " + c.name + ": " + c.summary + "\n"; break;
      case K::changed:
        for (const auto& f : c.fields)
          out += "~ " + c.name + ": " + f.path + ": " + (f.old_value.empty() ? "(none)" : f.old_value) +
                 " -> " + (f.new_value.empty() ? "(none)" : f.new_value) + "\n";
        break;
    }
  }
  out += "\nPlan: " + std::to_string(plan.count(K::added)) + " to add, " + std::to_string(plan.count(K::changed)) +
         " to change, " + std::to_string(plan.count(K::removed)) + " to remove.\n";
  return out;
}

nlohmann::json plan_to_json(const Plan& plan) {
  using K = WorkflowChange::Kind;
  nlohmann::json j = {{"add", nlohmann::json::array()}, {"change", nlohmann::json::array()},
                      {"remove", nlohmann::json::array()}};
  for (const auto& c : plan.changes) {
    if (c.kind == K::added) j["add"].push_back({{"name", c.name}, {"summary", c.summary}});
    if (c.kind == K::removed) j["remove"].push_back({{"name", c.name}, {"summary", c.summary}});
    if (c.kind != K::changed) continue;
    nlohmann::json fields = nlohmann::json::array();
    auto decode = [](const std::string& v) { return v.empty() ? nlohmann::json() : nlohmann::json::parse(v); };
    for (const auto& f : c.fields)
      fields.push_back({{"path", f.path}, {"old", decode(f.old_value)}, {"new", decode(f.new_value)}});
    j["change"].push_back({{"name", c.name}, {"fields", fields}});
  }
  return j;
}

}  // namespace cwf::config
