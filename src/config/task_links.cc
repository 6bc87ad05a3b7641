// What a task takes from earlier ones: a copy its build, a promote or run
// its release.

#include "config/loader_internal.hh"
#include "config/names.hh"

namespace cwf::config {
namespace {

// "copy web from acme/staging to acme/production", "copy web to web-eu on
// acme/staging": where from and where to, at a glance in the job's list.
std::string copy_name(const Task& t) {
  if (t.app == t.from_app) return "copy " + t.app + " from " + rack_label(t.from_rack) + " to " + rack_label(t.rack);
  if (t.rack == t.from_rack) return "copy " + t.from_app + " to " + app_on_rack(t.app, t.rack);
  return "copy " + app_on_rack(t.from_app, t.from_rack) + " to " + app_on_rack(t.app, t.rack);
}

// A copy without build: copies what the nearest earlier build task made (of
// from.app, on from.rack, when given); it goes to that build's app unless it
// names another.
void link_copy(std::vector<std::optional<Task>>& tasks, std::size_t i, const yaml::Node& node, const std::string& what,
               Diagnostics& diags) {
  Task& t = *tasks[i];
  std::string label = what + "[" + std::to_string(i) + "] (copy)";
  if (t.build.empty()) {
    for (std::size_t j = i; j-- > 0;) {
      const auto& b = tasks[j];
      if (b && b->type == TaskType::build && (t.from_app.empty() || b->app == t.from_app) &&
          (t.from_rack.empty() || b->rack == t.from_rack)) {
        t.build_from_task = static_cast<int>(j);
        t.from_app = b->app;
        t.from_rack = b->rack;
        break;
      }
    }
    if (!t.build_from_task) {
      diags.error(node.pos, label + ": no build to copy" +
                                (t.from_app.empty() ? std::string() : " of " + quote(t.from_app)) +
                                ": add a build task before it, or set build: and from:");
      return;
    }
  }
  if (t.app.empty()) t.app = t.from_app;
  if (t.app == t.from_app && t.rack == t.from_rack) {
    diags.error(node.pos, label + ": copies the build to where it already is (" + app_on_rack(t.app, t.rack) +
                              "); set app or rack to where it should go");
    return;
  }
  if (t.name.empty()) t.name = copy_name(t);
}

// The nearest task before I that makes a release of task I's app (on its
// rack, when SAME_RACK).
std::optional<std::size_t> nearest_release(const std::vector<std::optional<Task>>& tasks, std::size_t i, bool same_rack) {
  const Task& t = *tasks[i];
  for (std::size_t j = i; j-- > 0;) {
    const auto& m = tasks[j];
    if (m && (m->type == TaskType::build || m->type == TaskType::copy) && m->app == t.app &&
        (!same_rack || m->rack == t.rack))
      return j;
  }
  return std::nullopt;
}

// A promote (or run) without a release acts on what the nearest earlier
// build or copy to the same app, on the same rack, produced: a release
// exists on one rack only.
}  // namespace

void link_tasks(std::vector<std::optional<Task>>& tasks, std::span<const yaml::Node* const> nodes,
                const std::string& what, Diagnostics& diags) {
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (tasks[i] && tasks[i]->type == TaskType::copy) link_copy(tasks, i, *nodes[i], what, diags);
  }
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (!tasks[i]) continue;
    Task& t = *tasks[i];
    if ((t.type != TaskType::promote && t.type != TaskType::run) || !t.release.empty()) continue;
    if (auto j = nearest_release(tasks, i, true)) {
      t.release_from_task = static_cast<int>(*j);
      continue;
    }
    // The same app built on another rack: its release doesn't exist here.
    std::optional<std::size_t> elsewhere = nearest_release(tasks, i, false);
    if (t.type == TaskType::run && elsewhere)
      diags.warning(nodes[i]->pos, what + "[" + std::to_string(i) + "] (run): runs the current release of " +
                                       app_on_rack(t.app, t.rack) + ", not the one tasks[" + std::to_string(*elsewhere) +
                                       "] makes on " + rack_label(tasks[*elsewhere]->rack) +
                                       "; set its rack to run that one");
    if (t.type == TaskType::promote)
      diags.error(nodes[i]->pos, what + "[" + std::to_string(i) + "] (promote): no release to promote for app " +
                                     app_on_rack(quote(t.app), t.rack) + ": set 'release', or add a build (or copy) of " +
                                     quote(t.app) + " on that rack before it");
  }
}


}  // namespace cwf::config
