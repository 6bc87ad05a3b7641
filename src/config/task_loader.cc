#include <algorithm>
#include <cctype>
#include <regex>

#include "config/loader_internal.hh"
#include "config/names.hh"
#include "config/racks.hh"
#include "util/masker.hh"

namespace cwf::config {
namespace {

// In TaskType's order.
const std::vector<std::string> kTaskTypes = {"build", "copy", "promote", "review_app", "run", "script"};
const std::vector<std::string> kCommonKeys = {"type", "name", "timeout", "continue_on_error"};
const std::vector<std::string> kBuildKeys = {"app", "manifest", "promote", "rack", "description",
                                             "build_args", "health_check"};
const std::vector<std::string> kPromoteKeys = {"app", "rack", "release", "health_check"};
const std::vector<std::string> kRunKeys = {"app", "service", "command", "rack", "release"};
const std::vector<std::string> kScriptKeys = {"command", "argv", "env", "secrets", "working_directory", "image",
                                             "resources"};
const std::vector<std::string> kCopyKeys = {"app", "rack", "build", "from"};

// What the runner itself puts in every task's environment.
const std::vector<std::string> kRunnerEnv = {"CONVOX_WORKFLOW", "CONVOX_JOB_ID", "BUILD_GIT_SHA",
                                             "GIT_BRANCH",      "GIT_REPOSITORY", "APP",
                                             "BUILD_ID",        "RELEASE",        "PULL_REQUEST",
                                             "REVIEW_APP",      "REVIEW_APP_URL"};

std::vector<std::string> with_common(const std::vector<std::string>& extra) {
  std::vector<std::string> keys = kCommonKeys;
  for (const auto& k : extra)
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  return keys;
}

// The keys a task of TYPE may hold; nullopt: of any type (the type is unknown,
// so only the type is worth an error).
const std::vector<std::string>& keys_for(std::optional<TaskType> type) {
  static const std::vector<std::string> build = with_common(kBuildKeys), promote = with_common(kPromoteKeys),
                                        run = with_common(kRunKeys), script = with_common(kScriptKeys),
                                        copy = with_common(kCopyKeys), review_app = with_common(kReviewAppKeys);
  static const std::vector<std::string> any = [] {
    std::vector<std::string> all = kBuildKeys;
    for (const auto* more : {&kPromoteKeys, &kRunKeys, &kScriptKeys, &kCopyKeys, &kReviewAppKeys})
      all.insert(all.end(), more->begin(), more->end());
    return with_common(all);
  }();
  if (!type) return any;
  switch (*type) {
    case TaskType::build: return build;
    case TaskType::promote: return promote;
    case TaskType::run: return run;
    case TaskType::script: return script;
    case TaskType::copy: return copy;
    case TaskType::review_app: return review_app;
  }
  return any;
}

// A status code 100-599 at the start of S, or -1.
int status_code(std::string_view s) {
  if (s.size() < 3 || s[0] < '1' || s[0] > '5') return -1;
  for (int i = 1; i < 3; ++i)
    if (s[i] < '0' || s[i] > '9') return -1;
  return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
}

// "200", 200 or "200-399".
bool parse_expect_status(const yaml::Node& n, HealthCheck& hc) {
  if (!n.is_scalar()) return false;
  std::string_view v = n.value;
  int lo = status_code(v);
  int hi = v.size() == 3 ? lo : (v.size() == 7 && v[3] == '-' ? status_code(v.substr(4)) : -1);
  if (lo < 0 || hi < lo) return false;
  hc.expect_min = lo;
  hc.expect_max = hi;
  return true;
}

std::optional<HealthCheck> load_health_check(MapReader& task) {
  const yaml::Node* node = task.get("health_check");
  if (!node) return std::nullopt;
  static const std::vector<std::string> keys = {"url", "timeout", "interval", "expect_status"};
  MapReader r(*node, task.what() + ": health_check", keys, task.diags());
  if (!r.ok()) return std::nullopt;
  HealthCheck hc;
  if (auto url = r.string("url", true)) {
    if (auto e = http_url_error(*url)) r.diags().error(r.get("url")->pos, r.what() + ": url: " + *e);
    hc.url = *url;
  }
  if (auto d = r.duration("timeout")) hc.timeout = *d;
  if (auto d = r.duration("interval")) hc.interval = *d;
  if (hc.interval > hc.timeout)
    r.diags().error(r.pos(), r.what() + ": interval is longer than timeout");
  if (const yaml::Node* es = r.get("expect_status"); es && !parse_expect_status(*es, hc))
    r.diags().error(es->pos, r.what() + ": expect_status: expected a status such as 200 or a range "
                                        "such as 200-399");
  return hc;
}

void check_relative(MapReader& r, const std::string& key, const std::string& path) {
  if (auto e = relative_path_error(path))
    r.diags().error(r.get(key)->pos, r.what() + ": " + key + ": invalid path " + quote(path) + ": " + *e);
}

bool listed(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// The variables COMMAND reads as $NAME or ${NAME...} and doesn't set itself
// (NAME=..., for NAME in): a guess, good enough for a hint.
std::vector<std::string> variables_read(std::string_view command) {
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  std::vector<std::string> out;
  for (std::size_t i = command.find('$'); i != std::string_view::npos; i = command.find('$', i + 1)) {
    std::size_t start = i + 1 + (i + 1 < command.size() && command[i + 1] == '{');
    std::size_t end = start;
    while (end < command.size() && word(command[end])) ++end;
    if (end == start || std::isdigit(static_cast<unsigned char>(command[start]))) continue;
    std::string name(command.substr(start, end - start));
    bool set = false;
    for (std::size_t at = command.find(name); at != std::string_view::npos && !set; at = command.find(name, at + 1)) {
      bool word_start = at == 0 || !word(command[at - 1]);
      std::string_view after = command.substr(at + name.size());
      set = word_start && command[at - (at > 0)] != '$' && (after.starts_with("=") || command.substr(0, at).ends_with("for "));
    }
    if (!set && !listed(out, name)) out.push_back(std::move(name));
  }
  return out;
}

void load_secrets(MapReader& r, Task& t) {
  auto names = r.strings("secrets", false);
  if (!names) return;
  const yaml::Node& list = *r.get("secrets");
  for (std::size_t i = 0; i < names->size(); ++i) {
    const std::string& name = (*names)[i];
    Position pos = list.children[i]->pos;
    std::string what = r.what() + ": secrets: ";
    if (auto e = env_name_error(name)) r.diags().error(pos, what + "invalid name " + quote(name) + ": " + *e);
    else if (runner_own_variable(name))
      r.diags().error(pos, what + name + " is the runner's own and reaches no task; give the task a secret of its own "
                                         "under another name");
    else if (listed(kRunnerEnv, name)) r.diags().error(pos, what + name + " is set by the runner");
    else if (t.env.count(name)) r.diags().error(pos, what + name + " is also set in env");
    else if (listed(t.secrets, name)) r.diags().warning(pos, what + name + " is listed twice");
    else t.secrets.push_back(name);
  }
}

// Since tasks stopped inheriting the runner's environment, a command reading
// a secret it doesn't list gets an empty value: say where, once per name.
void hint_undeclared_secrets(MapReader& r, const Task& t) {
  if (t.command.empty()) return;
  for (const auto& name : variables_read(t.command)) {
    if (!(secret_name(name) || name.starts_with("CONVOX_")) || listed(kRunnerEnv, name) || t.env.count(name) ||
        listed(t.secrets, name) || runner_own_variable(name))
      continue;
    r.diags().warning(r.get("command")->pos, r.what() + ": command reads $" + name +
                                                 ", which this task does not receive; list it in secrets: [" + name +
                                                 "] to take it from the runner's environment");
  }
}

// With a racks file, a task's rack is where RACK_URL will send it: one the
// file doesn't name is an error now, not a deploy elsewhere later. RACK is
// the value at KEY of R (or the default).
void check_rack(MapReader& r, std::string& rack, const std::string& key, const Defaults& defaults) {
  const Racks& racks = *defaults.racks;
  if (rack.empty()) rack = racks.default_rack;
  if (rack.empty()) {
    r.diags().error(r.pos(), r.what() + ": no " + key + ": set " + key +
                                 " (or defaults.rack), or a default in the racks file");
    return;
  }
  if (racks.find(rack)) return;
  std::string names;
  for (const auto& [name, known] : racks.racks) names += (names.empty() ? "" : ", ") + name;
  Position pos = r.get(key) ? r.get(key)->pos : defaults.rack_pos;
  r.diags().error(pos.line ? pos : r.pos(),
                  r.what() + ": " + key + ": " + quote(rack) + " is not in the racks file (it has: " + names + ")");
}

void check_id(MapReader& r, const std::string& key, const std::string& id) {
  if (auto e = convox_id_error(id)) r.diags().error(r.get(key)->pos, r.what() + ": " + key + ": invalid ID " + quote(id) + ": " + *e);
}

// build: and from: {app, rack}. Without build:, the build is the nearest
// earlier build task's (link_tasks finds it), of from.app and from.rack when given.
void load_copy(MapReader& r, Task& t, const Defaults& defaults) {
  if (auto b = r.string("build")) {
    check_id(r, "build", *b);
    t.build = *b;
  }
  const yaml::Node* from = r.get("from");
  if (!from) {
    if (!t.build.empty()) r.diags().error(r.get("build")->pos, r.what() + ": build: needs from: {app: ..., rack: ...}, the app it belongs to");
    return;
  }
  MapReader f(*from, r.what() + ": from", {"app", "rack"}, r.diags());
  if (!f.ok()) return;
  if (auto app = f.string("app", !t.build.empty())) t.from_app = *app;
  if (auto rack = f.string("rack")) t.from_rack = *rack;
  // A named build is on a rack now; the nearest build task tells its own.
  if (!t.build.empty() && t.from_rack.empty()) t.from_rack = defaults.rack.value_or("");
  if (defaults.racks && (!t.build.empty() || f.get("rack"))) check_rack(f, t.from_rack, "rack", defaults);
}

}  // namespace

void check_image(MapReader& r, const std::string& key, const std::string& image) {
  // A reference as podman and Kubernetes take one ([registry[:port]/]name[:tag][@digest]);
  // starting with a letter or digit, so it is never read as an option.
  static const std::regex re(R"([A-Za-z0-9][A-Za-z0-9._/:@-]{0,254})");
  if (!std::regex_match(image, re))
    r.diags().error(r.get(key)->pos, r.what() + ": " + key + ": " + quote(image) +
                                         " is not an image reference (e.g. golang:1.22, registry.example.com/ci/node:20)");
}

namespace {

// "2", "0.5", "500m": CPUs, as Kubernetes and podman's --cpus read them.
bool valid_cpu(const std::string& v) {
  static const std::regex re(R"(([0-9]{1,4}(\.[0-9]{1,3})?|[0-9]{1,7}m))");
  return std::regex_match(v, re) && v != "0" && v != "0m";
}

// "512Mi", "2Gi", "1G", "1000000": bytes, as Kubernetes reads them (podman gets the same amount).
bool valid_memory(const std::string& v) {
  static const std::regex re(R"([1-9][0-9]{0,12}(Ki|Mi|Gi|Ti|k|M|G|T)?)");
  return std::regex_match(v, re);
}

void load_resources(MapReader& r, Task& t) {
  const yaml::Node* node = r.get("resources");
  if (!node) return;
  MapReader res(*node, r.what() + ": resources", {"cpu", "memory"}, r.diags());
  if (!res.ok()) return;
  if (auto cpu = res.string("cpu")) {
    if (valid_cpu(*cpu)) t.cpu = *cpu;
    else res.diags().error(res.get("cpu")->pos, res.what() + ": cpu: " + quote(*cpu) + " is not a CPU amount (\"2\", \"0.5\", \"500m\")");
  }
  if (auto mem = res.string("memory")) {
    if (valid_memory(*mem)) t.memory = *mem;
    else res.diags().error(res.get("memory")->pos, res.what() + ": memory: " + quote(*mem) + " is not an amount of memory (\"512Mi\", \"2Gi\")");
  }
}

void load_script(MapReader& r, Task& t, const Defaults& defaults) {
  bool has_command = r.get("command"), has_argv = r.get("argv");
  if (has_command && has_argv)
    r.diags().error(r.get("argv")->pos, r.what() + ": set either 'command' or 'argv', not both");
  else if (!has_command && !has_argv)
    r.diags().error(r.pos(), r.what() + ": missing required key 'command' (or 'argv')");
  if (auto c = r.string("command")) t.command = *c;
  if (auto a = r.strings("argv", true)) t.argv = *a;
  if (auto env = r.string_map("env")) {
    for (const auto& [k, v] : *env)
      if (std::find(kRunnerEnv.begin(), kRunnerEnv.end(), k) != kRunnerEnv.end())
        r.diags().warning(r.get("env")->pos,
                          r.what() + ": env: " + k + " is set by the runner and overrides this value");
    t.env = *env;
  }
  load_secrets(r, t);
  hint_undeclared_secrets(r, t);
  if (auto wd = r.string("working_directory")) {
    check_relative(r, "working_directory", *wd);
    t.working_directory = *wd;
  }
  if (auto image = r.string("image")) {
    check_image(r, "image", *image);
    t.image = *image;
  } else if (defaults.image) {
    t.image = *defaults.image;
  }
  load_resources(r, t);
  if (!t.image.empty() && defaults.options && defaults.options->task_backend == "local")
    r.diags().error(r.get("image") ? r.get("image")->pos : r.pos(),
                    r.what() + ": image " + quote(t.image) +
                        " needs a runner that runs images: --task-backend podman (or kubernetes); this one runs "
                        "script tasks as local processes");
  else if (t.image.empty() && r.get("resources"))
    r.diags().error(r.get("resources")->pos, r.what() + ": resources need an image (a local process has no limits)");
}

std::optional<Task> load_task(const yaml::Node& node, const std::string& what,
                              const Defaults& defaults, Diagnostics& diags) {
  // The type decides which keys are allowed, so read it before the others.
  const yaml::Node* type_node = node.find("type");
  std::optional<TaskType> type;
  if (type_node && type_node->is_scalar()) {
    for (std::size_t i = 0; i < kTaskTypes.size(); ++i)
      if (type_node->value == kTaskTypes[i]) type = static_cast<TaskType>(i);
  }
  std::string label = what + (type ? std::string(" (") + to_string(*type) + ")" : "");
  int errors = diags.error_count();
  MapReader r(node, label, keys_for(type), diags);
  if (!r.ok()) return std::nullopt;
  if (!type) {
    // Without a type only "missing/unknown type" is worth saying.
    if (!type_node) {
      diags.error(node.pos, what + ": missing required key 'type' (one of: build, copy, promote, review_app, run, script)");
    } else {
      read_choice(r, "type", kTaskTypes);
    }
    return std::nullopt;
  }
  Task t;
  t.type = *type;
  t.pos = node.pos;
  if (auto n = r.string("name")) t.name = *n;
  t.timeout = r.duration("timeout").value_or(defaults.timeout.value_or(kDefaultTaskTimeout));
  t.continue_on_error = r.boolean("continue_on_error").value_or(false);

  if (t.type == TaskType::script) {
    load_script(r, t, defaults);
  } else {
    // A copy goes to its build's app unless it names another.
    if (auto app = r.string("app", t.type != TaskType::copy)) t.app = *app;
    t.rack = r.string("rack").value_or(defaults.rack.value_or(""));
    if (defaults.racks) check_rack(r, t.rack, "rack", defaults);
    if (auto rel = r.string("release")) {
      check_id(r, "release", *rel);
      t.release = *rel;
    }
  }
  if (t.type == TaskType::copy) load_copy(r, t, defaults);
  if (t.type == TaskType::review_app) load_review_app(r, t, defaults);
  if (t.type == TaskType::build) {
    if (auto m = r.string("manifest")) {
      check_relative(r, "manifest", *m);
      t.manifest = *m;
    } else if (defaults.manifest) {
      t.manifest = *defaults.manifest;
    }
    t.promote = r.boolean("promote").value_or(false);
    if (auto d = r.string("description")) t.description = *d;
    if (auto args = r.string_map("build_args")) t.build_args = *args;
    if (r.get("health_check") && !t.promote)
      diags.error(r.get("health_check")->pos, label + ": health_check needs 'promote: true'");
  }
  if (t.type == TaskType::build || t.type == TaskType::promote) t.health_check = load_health_check(r);
  if (t.type == TaskType::run) {
    if (auto s = r.string("service", true)) t.service = *s;
    if (auto c = r.string("command", true)) t.command = *c;
  }
  if (t.name.empty() && t.type != TaskType::copy) {  // a copy's name needs its build, found later
    t.name = t.type == TaskType::review_app ? "review app" : to_string(t.type);
    if (!t.app.empty()) t.name += " " + t.app;
  }
  if (diags.error_count() != errors) return std::nullopt;
  return t;
}

}  // namespace

bool load_tasks(MapReader& workflow, const Defaults& defaults, std::vector<Task>& out) {
  const yaml::Node* list = workflow.require("tasks");
  if (!list) return false;
  Diagnostics& diags = workflow.diags();
  std::string what = workflow.what() + ": tasks";
  if (!list->is_sequence()) {
    diags.error(list->pos, what + ": expected a list, got " + std::string(yaml::describe(*list)));
    return false;
  }
  if (list->children.empty()) {
    diags.error(list->pos, what + ": a workflow needs at least one task");
    return false;
  }
  int errors = diags.error_count();
  std::map<std::string, std::size_t> names;  // task name -> index in the list
  std::vector<std::optional<Task>> tasks;
  tasks.reserve(list->children.size());
  for (std::size_t i = 0; i < list->children.size(); ++i) {
    auto& t = tasks.emplace_back(load_task(*list->children[i], what + "[" + std::to_string(i) + "]", defaults, diags));
    // Unnamed tasks share default names ("script") by design; only names
    // the user chose are worth telling apart.
    if (!t || !list->children[i]->find("name")) continue;
    if (auto [it, fresh] = names.emplace(t->name, i); !fresh)
      diags.warning(t->pos, what + "[" + std::to_string(i) + "]: same name as tasks[" +
                                std::to_string(it->second) + "] (" + quote(t->name) +
                                "); give it a 'name' to tell them apart in logs");
  }
  link_tasks(tasks, list->children, what, diags);
  if (diags.error_count() != errors) return false;
  out.reserve(tasks.size());
  for (auto& t : tasks) out.push_back(std::move(*t));
  return true;
}

}  // namespace cwf::config
