// The notifications: the file's `notifications` and a workflow's `notify`.
#include <algorithm>
#include <array>
#include <map>

#include "config/loader_internal.hh"
#include "config/names.hh"

namespace cwf::config {
namespace {

constexpr std::array kEventNames = {"started",     "succeeded", "failed", "cancelled",
                                    "interrupted", "recovered", "waiting_promote"};
const std::vector<std::string> kTargetKeys = {"on", "slack", "webhook"};
const std::vector<std::string> kSlackKeys = {"webhook_url_env"};
const std::vector<std::string> kWebhookKeys = {"url", "secret_env"};

// Variables that hold the runner's own credentials: used as a notification's
// URL or key, a mistake in the file would send them to a receiver.
bool credential_variable(std::string_view name) {
  return name == "GITHUB_TOKEN" || name == "GITLAB_TOKEN" || name == "CONVOX_PASSWORD" || name == "RACK_URL" ||
         name == "CONVOX_HOST" || name == "CONVOX_WORKFLOWS_API_TOKEN" || name.ends_with("_FILE");
}

std::optional<std::string> read_env_name(MapReader& r, const std::string& key) {
  auto name = r.string(key, true);
  if (!name) return std::nullopt;
  Position pos = r.get(key)->pos;
  if (auto e = env_name_error(*name)) {
    r.diags().error(pos, r.what() + ": " + key + ": invalid variable name " + quote(*name) + ": " + *e);
    return std::nullopt;
  }
  if (credential_variable(*name)) {
    r.diags().error(pos, r.what() + ": " + key + ": " + *name +
                             " holds the runner's own credentials; give the notification a variable of its own");
    return std::nullopt;
  }
  return name;
}

std::optional<NotifyTarget> load_target(const yaml::Node& node, const std::string& what, Diagnostics& diags) {
  int errors = diags.error_count();
  MapReader r(node, what, kTargetKeys, diags);
  if (!r.ok()) return std::nullopt;
  NotifyTarget t;
  t.pos = node.pos;
  if (!r.get("on")) r.require("on");
  if (auto names = r.strings("on", true)) {
    for (std::size_t i = 0; i < names->size(); ++i) {
      const std::string& name = (*names)[i];
      Position pos = r.get("on")->children[i]->pos;
      auto e = parse_notify_event(name);
      if (!e) {
        std::vector<std::string> all(kEventNames.begin(), kEventNames.end());
        std::string msg = what + ": on: unknown event " + quote(name) +
                          " (expected started, succeeded, failed, cancelled, interrupted, recovered or waiting_promote)";
        if (auto near = closest_match(name, all)) msg += "; did you mean '" + *near + "'?";
        diags.error(pos, msg);
      } else if (t.wants(*e)) {
        diags.warning(pos, what + ": on: " + name + " is listed twice");
      } else {
        t.on.push_back(*e);
      }
    }
  }
  const yaml::Node* slack = r.get("slack");
  const yaml::Node* webhook = r.get("webhook");
  if (slack && webhook) {
    diags.error(webhook->pos, what + ": slack and webhook exclude each other: one destination per notification");
  } else if (!slack && !webhook) {
    diags.error(node.pos, what + ": missing 'slack' or 'webhook': where the notification goes");
  } else if (slack) {
    t.slack = true;
    MapReader s(*slack, what + ": slack", kSlackKeys, diags);
    if (s.ok()) {
      if (!s.get("webhook_url_env")) s.require("webhook_url_env");
      else if (auto name = read_env_name(s, "webhook_url_env")) t.url_env = *name;
    }
  } else {
    MapReader w(*webhook, what + ": webhook", kWebhookKeys, diags);
    if (w.ok()) {
      if (auto url = w.string("url", true)) {
        std::optional<std::string> e = http_url_error(*url);
        if (!e && redact_url(*url) != *url) e = "no credentials in it: receivers verify the signature";
        if (e) diags.error(w.get("url")->pos, w.what() + ": invalid url " + quote(redact_url(*url)) + ": " + *e);
        t.url = *url;
      }
      if (!w.get("secret_env"))
        w.require("secret_env");  // unsigned deliveries could come from anyone
      else if (auto name = read_env_name(w, "secret_env"))
        t.secret_env = *name;
    }
  }
  if (diags.error_count() != errors) return std::nullopt;
  return t;
}

}  // namespace

const char* to_string(NotifyEvent e) { return kEventNames[static_cast<std::size_t>(e)]; }

std::optional<NotifyEvent> parse_notify_event(std::string_view name) {
  for (std::size_t i = 0; i < kEventNames.size(); ++i)
    if (name == kEventNames[i]) return static_cast<NotifyEvent>(i);
  return std::nullopt;
}

bool NotifyTarget::wants(NotifyEvent e) const { return std::find(on.begin(), on.end(), e) != on.end(); }

std::optional<std::vector<NotifyTarget>> load_notify_list(const yaml::Node& node, const std::string& what,
                                                          Diagnostics& diags) {
  if (!node.is_sequence()) {
    diags.error(node.pos, what + ": expected a list, got " + std::string(yaml::describe(node)));
    return std::nullopt;
  }
  std::vector<NotifyTarget> out;
  bool ok = true;
  for (std::size_t i = 0; i < node.children.size(); ++i) {
    auto t = load_target(*node.children[i], what + "[" + std::to_string(i) + "]", diags);
    if (t) out.push_back(std::move(*t));
    else ok = false;
  }
  if (!ok) return std::nullopt;
  return out;
}

void check_notify_secrets(const Config& config, Diagnostics& diags) {
  std::map<std::string, Position> names;
  auto collect = [&](const std::vector<NotifyTarget>& targets) {
    for (const auto& t : targets)
      for (const std::string* n : {&t.url_env, &t.secret_env})
        if (!n->empty()) names.emplace(*n, t.pos);
  };
  collect(config.notifications);
  for (const auto& w : config.workflows)
    if (w.notify) collect(*w.notify);
  for (const auto& w : config.workflows)
    for (const auto& task : w.tasks)
      for (const auto& s : task.secrets)
        if (auto it = names.find(s); it != names.end())
          diags.error(task.pos, "workflow '" + w.name + "': task '" + task.name + "': secrets: " + s +
                                    " is a notification's secret (line " + std::to_string(it->second.line) +
                                    ") and reaches no task; give the task a variable of its own");
}

}  // namespace cwf::config
