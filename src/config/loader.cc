#include "config/loader.hh"

#include "config/glob.hh"
#include "config/loader_internal.hh"
#include "config/names.hh"
#include "config/yaml_tree.hh"

namespace cwf::config {
namespace {

// A valid workflow name is shown everywhere its jobs are; any other text is
// the file's, shown only to its author (quote()).
std::string workflow_label(std::string_view name) {
  return workflow_name_error(name) ? quote(name) : "'" + std::string(name) + "'";
}

const std::vector<std::string> kIntegrations = {"github", "gitlab", "git"};
const std::vector<std::string> kConcurrency = {"queue", "cancel-previous", "skip-if-running"};
const std::vector<std::string> kTopKeys = {"version", "defaults", "notifications", "workflows"};
const std::vector<std::string> kDefaultsKeys = {"rack", "timeout", "manifest", "image"};
const std::vector<std::string> kWorkflowKeys = {"name", "trigger", "tasks", "concurrency", "notify"};
const std::vector<std::string> kTriggerKeys = {"integration", "repository", "branch", "pull_request",
                                               "require_status", "paths"};
const std::vector<std::string> kPullRequestKeys = {"base", "forks", "drafts"};

std::optional<PullRequestTrigger> load_pull_request(MapReader& trigger, const yaml::Node& node) {
  Diagnostics& diags = trigger.diags();
  if (node.is_scalar() && yaml::resolve(node) == yaml::ScalarType::null) return PullRequestTrigger{};  // `pull_request:` alone: every PR
  MapReader r(node, trigger.what() + ": pull_request", kPullRequestKeys, diags);
  if (!r.ok()) return std::nullopt;
  PullRequestTrigger pr;
  if (auto base = r.string("base")) {
    if (auto e = branch_error(*base))
      diags.error(r.get("base")->pos, r.what() + ": invalid base branch " + quote(*base) + ": " + *e);
    pr.base = *base;
  }
  if (auto forks = r.boolean("forks")) pr.forks = *forks;
  if (auto drafts = r.boolean("drafts")) pr.drafts = *drafts;
  return pr;
}

std::optional<Trigger> load_trigger(MapReader& workflow) {
  const yaml::Node* node = workflow.require("trigger");
  if (!node) return std::nullopt;
  Diagnostics& diags = workflow.diags();
  int errors = diags.error_count();
  MapReader r(*node, workflow.what() + ": trigger", kTriggerKeys, diags);
  if (!r.ok()) return std::nullopt;
  Trigger t;
  auto integration = read_choice(r, "integration", kIntegrations);
  if (!r.get("integration")) r.require("integration");
  if (integration) t.integration = static_cast<Integration>(*integration);

  if (auto repo = r.string("repository", true); repo && integration) {
    std::optional<std::string> e;
    if (t.integration == Integration::git)
      e = git_url_error(*repo);
    else
      e = forge_repository_error(*repo, t.integration == Integration::gitlab);
    if (e)
      diags.error(r.get("repository")->pos, r.what() + ": invalid repository " + quote(redact_url(*repo)) + ": " + *e);
    t.repository = *repo;
  }
  if (const yaml::Node* pr = r.get("pull_request")) {
    if (const yaml::Node* branch = r.get("branch"))
      diags.error(branch->pos, r.what() + ": branch and pull_request exclude each other: "
                                          "a workflow runs on pushes to a branch or on pull requests");
    else if (integration && t.integration == Integration::git)
      diags.error(pr->pos, r.what() + ": pull_request needs integration github or gitlab: "
                                      "plain git has no pull requests");
    else if (const yaml::Node* paths = r.get("paths"))
      diags.error(paths->pos, r.what() + ": paths is not available with pull_request (yet): "
                                         "a pull request runs whatever files it changes");
    t.pull_request = load_pull_request(r, *pr);
  } else if (auto branch = r.string("branch", true)) {
    if (auto e = branch_error(*branch))
      diags.error(r.get("branch")->pos, r.what() + ": invalid branch " + quote(*branch) + ": " + *e);
    t.branch = *branch;
  }
  if (const yaml::Node* rs = r.get("require_status"); rs && integration && t.integration == Integration::git) {
    diags.error(rs->pos, r.what() + ": require_status is not available for integration 'git': "
                                    "plain git has no commit status API");
  } else if (auto b = r.boolean("require_status")) {
    t.require_status = *b;
  }
  if (integration && t.integration == Integration::git) t.require_status = false;
  if (auto paths = r.strings("paths", true)) {
    for (std::size_t i = 0; i < paths->size(); ++i) {
      const std::string& p = (*paths)[i];
      std::optional<std::string> e = glob_error(p);
      if (!e && p.front() == '/') e = "paths are relative to the repository root";
      if (e)
        diags.error(r.get("paths")->children[i]->pos,
                    r.what() + ": paths[" + std::to_string(i) + "]: bad glob " + quote(p) + ": " + *e);
    }
    t.paths = *paths;
  }
  if (diags.error_count() != errors) return std::nullopt;
  return t;
}

std::optional<Workflow> load_workflow(const yaml::Node& node, std::size_t index,
                                      const Defaults& defaults, Diagnostics& diags) {
  std::string what = "workflows[" + std::to_string(index) + "]";
  // Name the workflow in messages as soon as we know its name.
  if (const yaml::Node* name = node.find("name");
      name && name->is_scalar() && !name->value.empty() && name->value.size() < 80)
    what = "workflow " + workflow_label(name->value);
  int errors = diags.error_count();
  MapReader r(node, what, kWorkflowKeys, diags);
  if (!r.ok()) return std::nullopt;
  Workflow w;
  w.pos = node.pos;
  if (auto name = r.string("name", true)) {
    if (auto e = workflow_name_error(*name)) {
      std::string msg = what + ": invalid name " + quote(*name) + ": " + *e;
      std::string better = suggest_workflow_name(*name);
      if (!better.empty() && better != *name) msg += " (e.g. " + quote(better) + ")";
      diags.error(r.get("name")->pos, msg);
    }
    w.name = *name;
  }
  if (auto t = load_trigger(r)) w.trigger = std::move(*t);
  if (auto c = read_choice(r, "concurrency", kConcurrency)) w.concurrency = static_cast<Concurrency>(*c);
  load_tasks(r, defaults, w.tasks);
  if (const yaml::Node* notify = r.get("notify")) w.notify = load_notify_list(*notify, what + ": notify", diags);
  if (diags.error_count() == errors) check_review_apps(w, what, diags);
  if (diags.error_count() != errors) return std::nullopt;
  return w;
}

Defaults load_defaults(MapReader& top) {
  Defaults d;
  const yaml::Node* node = top.get("defaults");
  if (!node) return d;
  MapReader r(*node, "defaults", kDefaultsKeys, top.diags());
  if (!r.ok()) return d;
  d.rack = r.string("rack");
  if (d.rack) d.rack_pos = r.get("rack")->pos;
  d.timeout = r.duration("timeout");
  d.image = r.string("image");
  if (d.image) check_image(r, "image", *d.image);
  d.manifest = r.string("manifest");
  if (d.manifest) {
    if (auto e = relative_path_error(*d.manifest))
      r.diags().error(r.get("manifest")->pos, "defaults: manifest: invalid path " + quote(*d.manifest) + ": " + *e);
  }
  return d;
}

}  // namespace

std::optional<std::size_t> read_choice(MapReader& r, const std::string& key,
                                       const std::vector<std::string>& options) {
  const yaml::Node* n = r.get(key);
  if (!n) return std::nullopt;
  auto s = as_string(*n, r.what(), key, r.diags());
  if (!s) return std::nullopt;
  for (std::size_t i = 0; i < options.size(); ++i)
    if (*s == options[i]) return i;
  std::string list;
  for (const auto& o : options) list += (list.empty() ? "" : ", ") + o;
  std::string msg = r.what() + ": " + key + ": unknown value " + quote(*s) + " (expected one of: " + list + ")";
  if (auto near = closest_match(*s, options)) msg += "; did you mean '" + *near + "'?";
  r.diags().error(n->pos, msg);
  return std::nullopt;
}

LoadResult load(const Source& src, const LoadOptions& options) {
  LoadResult result;
  Diagnostics& diags = result.diags;
  std::unique_ptr<yaml::Document> doc;
  const yaml::Node* root =
      yaml::parse_root(src, doc, "the file is empty; expected a map with 'version: 1' and 'workflows'", diags);
  if (!root) return result;
  MapReader top(*root, "file", kTopKeys, diags, true);
  if (!top.ok()) return result;

  Config config;
  if (const yaml::Node* v = top.require("version")) {
    if (!(v->is_scalar() && yaml::resolve(*v) == yaml::ScalarType::integer && v->value == "1"))
      diags.error(v->pos, "unsupported version " + (v->is_scalar() ? quote(v->value) : std::string(yaml::describe(*v))) +
                              "; this runner reads version 1");
  }
  Defaults defaults = load_defaults(top);
  if (const yaml::Node* n = top.get("notifications")) {
    if (auto targets = load_notify_list(*n, "notifications", diags)) config.notifications = std::move(*targets);
  }
  defaults.racks = options.racks;
  defaults.options = &options;
  if (const yaml::Node* list = top.require("workflows")) {
    if (!list->is_sequence()) {
      diags.error(list->pos, "workflows: expected a list, got " + std::string(yaml::describe(*list)));
    } else {
      std::map<std::string_view, Position> seen;
      for (std::size_t i = 0; i < list->children.size(); ++i) {
        const yaml::Node& node = *list->children[i];
        // Checked on the raw name, so a duplicate shows even when either copy has other errors.
        if (const yaml::Node* name = node.find("name"); name && name->is_scalar()) {
          if (auto [it, fresh] = seen.emplace(name->value, name->pos); !fresh)
            diags.error(name->pos, "workflow " + workflow_label(name->value) + ": duplicate workflow name (first defined at line " +
                                       std::to_string(it->second.line) + ")");
        }
        if (auto w = load_workflow(node, i, defaults, diags)) config.workflows.push_back(std::move(*w));
      }
    }
  }
  if (!diags.has_errors()) check_notify_secrets(config, diags);
  if (!diags.has_errors()) result.config = std::move(config);
  return result;
}

LoadResult load_string(std::string name, std::string text, const LoadOptions& options) {
  return load(source_from_string(std::move(name), std::move(text)), options);
}

const Workflow* Config::find(const std::string& name) const {
  for (const auto& w : workflows)
    if (w.name == name) return &w;
  return nullptr;
}

const char* to_string(Integration i) {
  switch (i) {
    case Integration::github: return "github";
    case Integration::gitlab: return "gitlab";
    case Integration::git: return "git";
  }
  return "?";
}

const char* to_string(Concurrency c) {
  switch (c) {
    case Concurrency::queue: return "queue";
    case Concurrency::cancel_previous: return "cancel-previous";
    case Concurrency::skip_if_running: return "skip-if-running";
  }
  return "?";
}

const char* to_string(TaskType t) {
  switch (t) {
    case TaskType::build: return "build";
    case TaskType::promote: return "promote";
    case TaskType::run: return "run";
    case TaskType::script: return "script";
    case TaskType::copy: return "copy";
    case TaskType::review_app: return "review_app";
  }
  return "?";
}

}  // namespace cwf::config
