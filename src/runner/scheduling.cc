#include "runner/scheduling.hh"

#include <algorithm>

#include "config/names.hh"

namespace cwf::runner {
namespace {

bool overlaps(const std::set<std::string>& a, const std::set<std::string>& b) {
  for (const auto& x : a)
    if (b.count(x)) return true;
  return false;
}

}  // namespace

std::set<std::string> apps_of(const config::Workflow& w, std::optional<int> pull_request) {
  std::set<std::string> apps;
  for (const auto& t : w.tasks) {
    if (t.type == config::TaskType::script || t.app.empty()) continue;
    bool review = t.type == config::TaskType::review_app && !t.teardown && pull_request;
    apps.insert(t.rack + "/" + (review ? config::review_app_name(t.app, *pull_request) : t.app));
  }
  return apps;
}

std::vector<std::int64_t> startable(const std::vector<Slot>& queued, const std::vector<Slot>& running,
                                    int max_parallel) {
  std::vector<std::int64_t> out;
  std::set<std::string> busy_apps, busy_workflows;
  for (const auto& r : running) {
    busy_apps.insert(r.apps.begin(), r.apps.end());
    busy_workflows.insert(r.workflow);
  }
  int free = max_parallel - static_cast<int>(running.size());
  for (const auto& q : queued) {
    if (free <= 0) break;
    bool can = !busy_workflows.count(q.workflow) && !overlaps(q.apps, busy_apps);
    // Started or not, it holds its workflow and apps against younger jobs.
    busy_workflows.insert(q.workflow);
    busy_apps.insert(q.apps.begin(), q.apps.end());
    if (can) {
      out.push_back(q.job);
      --free;
    }
  }
  return out;
}

Admission admit(const Slot& job, config::Concurrency policy, const std::vector<Slot>& queued,
                const std::vector<Slot>& running) {
  Admission a;
  auto same = [&](const Slot& s) { return s.workflow == job.workflow && s.job != job.job; };
  switch (policy) {
    case config::Concurrency::queue: break;
    case config::Concurrency::skip_if_running:
      for (const auto* list : {&running, &queued}) {
        auto it = std::find_if(list->begin(), list->end(), same);
        if (it != list->end()) {
          a.skip = true;
          a.reason = "skipped: job " + std::to_string(it->job) + " of this workflow is " +
                     (list == &running ? "running" : "queued") + " (concurrency: skip-if-running)";
          break;
        }
      }
      break;
    case config::Concurrency::cancel_previous:
      for (const auto& r : running)
        if (same(r)) a.cancel_running.push_back(r.job);
      for (const auto& q : queued)
        if (same(q) && q.job < job.job) a.cancel_queued.push_back(q.job);
      break;
  }
  return a;
}

}  // namespace cwf::runner
