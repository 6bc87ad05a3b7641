// The review_app task: a Convox app per pull request, "<app>-pr-<number>".
#include "config/loader_internal.hh"
#include "config/names.hh"

namespace cwf::config {

const std::vector<std::string> kReviewAppKeys = {"app",           "rack",           "manifest",    "environment",
                                                 "before_promote", "after_promote", "expire_after"};

namespace {

std::optional<RackCommand> load_rack_command(MapReader& task, const std::string& key) {
  const yaml::Node* node = task.get(key);
  if (!node) return std::nullopt;
  MapReader r(*node, task.what() + ": " + key, {"service", "command"}, task.diags());
  if (!r.ok()) return std::nullopt;
  RackCommand c;
  if (auto s = r.string("service", true)) c.service = *s;
  if (auto s = r.string("command", true)) c.command = *s;
  return c;
}

// Convox app names: lower-case letters, digits and '-', from a letter.
std::optional<std::string> review_app_base_error(std::string_view app) {
  if (app.empty() || app.front() < 'a' || app.front() > 'z') return "it must start with a lower-case letter";
  for (char c : app)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
      return "only lower-case letters, digits and '-'";
  if (app.back() == '-') return "it must not end with '-'";
  if (app.size() > kMaxReviewAppBase)
    return "at most " + std::to_string(kMaxReviewAppBase) + " characters, so that '" + std::string(app) +
           "-pr-<number>' stays within Convox's 30";
  return std::nullopt;
}

}  // namespace

void load_review_app(MapReader& r, Task& t, const Defaults& defaults) {
  if (auto e = review_app_base_error(t.app); e && r.get("app"))
    r.diags().error(r.get("app")->pos, r.what() + ": app: invalid review app name " + quote(t.app) + ": " + *e);
  if (auto m = r.string("manifest")) {
    if (auto e = relative_path_error(*m))
      r.diags().error(r.get("manifest")->pos, r.what() + ": manifest: invalid path " + quote(*m) + ": " + *e);
    t.manifest = *m;
  } else if (defaults.manifest) {
    t.manifest = *defaults.manifest;
  }
  if (auto env = r.string_map("environment")) {
    for (const auto& [k, v] : *env)
      if (auto e = env_name_error(k))
        r.diags().error(r.get("environment")->pos, r.what() + ": environment: invalid name " + quote(k) + ": " + *e);
    t.env = *env;
  }
  t.before_promote = load_rack_command(r, "before_promote");
  t.after_promote = load_rack_command(r, "after_promote");
  t.expire_after = r.duration("expire_after", Seconds{90 * 86400});
}

void check_review_apps(const Workflow& w, const std::string& what, Diagnostics& diags) {
  const Task* first = nullptr;
  for (const auto& t : w.tasks) {
    if (t.type != TaskType::review_app) continue;
    if (!w.trigger.pull_request)
      diags.error(t.pos, what + ": task '" + t.name + "': a review_app needs a pull_request trigger: "
                                                      "its app is named for the pull request");
    else if (first)
      diags.error(t.pos, what + ": task '" + t.name + "': one review_app per workflow (tasks has '" + first->name +
                             "' already)");
    first = first ? first : &t;
  }
}

}  // namespace cwf::config
