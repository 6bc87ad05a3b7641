#pragma once

// The scheduling rules, as pure functions over queued and running jobs.
// Apps are the lock: `build`, `promote` and `run` tasks of app X never run in
// two jobs at once, whatever their workflows, and jobs needing X get it in
// push order, so an older release is never promoted after a newer one.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/model.hh"

namespace cwf::runner {

struct Slot {
  std::int64_t job = 0;
  std::string workflow;  // a pull request's job: "workflow#N", so PRs run side by side
  std::set<std::string> apps;  // "rack/app" (rack empty: the CLI's current one)
};

// The apps a workflow's tasks act on; a review_app task's is the review app
// of PULL_REQUEST ("web-pr-7").
std::set<std::string> apps_of(const config::Workflow& w, std::optional<int> pull_request = std::nullopt);

// The queued jobs (oldest first) that may start now: at most MAX_PARALLEL
// running in all; one job of a workflow at a time, in order; a job waits while
// a running job holds one of its apps, or an older waiting job wants one.
std::vector<std::int64_t> startable(const std::vector<Slot>& queued, const std::vector<Slot>& running,
                                    int max_parallel);

// What a new job of a workflow does to that workflow's other jobs.
struct Admission {
  bool skip = false;  // skip-if-running: the new job does not run
  std::string reason;
  std::vector<std::int64_t> cancel_running, cancel_queued;  // cancel-previous
};
Admission admit(const Slot& job, config::Concurrency policy, const std::vector<Slot>& queued,
                const std::vector<Slot>& running);

}  // namespace cwf::runner
