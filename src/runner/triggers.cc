#include "runner/triggers.hh"

#include "config/glob.hh"
#include "executor/executor.hh"

namespace cwf::runner {

std::vector<store::HeadChange> head_changes(const Heads& known, const Heads& now) {
  std::vector<store::HeadChange> changes;
  for (const auto& [branch, sha] : now) {
    auto it = known.find(branch);
    if (it == known.end()) changes.push_back({branch, "", sha});
    else if (it->second != sha) changes.push_back({branch, it->second, sha});
  }
  for (const auto& [branch, sha] : known)
    if (!now.count(branch)) changes.push_back({branch, sha, ""});
  return changes;
}

Triggered jobs_for(const config::Config& config, const watcher::Forges& forges, const std::string& url,
                   const std::vector<store::HeadChange>& changes, const ChangedFiles& changed_files) {
  Triggered out;
  std::vector<const config::Workflow*> watching;
  for (const auto& w : config.workflows)
    if (watcher::remote_url(w.trigger, forges) == url) watching.push_back(&w);
  for (const auto& c : changes) {
    if (c.new_sha.empty()) continue;
    bool asked = false;
    std::optional<std::vector<std::string>> files;  // asked for once per change, if a filter needs them
    for (const config::Workflow* w : watching) {
      if (w->trigger.pull_request || !config::glob_match(w->trigger.branch, c.branch)) continue;
      if (!w->trigger.paths.empty()) {
        if (!asked) {
          files = changed_files(c);
          asked = true;
        }
        bool matches = !files;
        for (std::size_t i = 0; files && !matches && i < files->size(); ++i)
          for (const auto& glob : w->trigger.paths)
            if (config::glob_match(glob, (*files)[i])) matches = true;
        if (!matches) {
          out.filtered.emplace_back(w->name, c);
          continue;
        }
      }
      store::NewJob job = executor::new_job({&*w, w->trigger.repository, c.branch, c.new_sha, "push", url,
                                             std::nullopt, false});
      // The gate holds it until the commit's status allows it (gate.hh).
      if (w->trigger.require_status) job.state = store::JobState::waiting;
      out.jobs.push_back(std::move(job));
    }
  }
  return out;
}

PullRequestsTriggered pull_request_jobs_for(const config::Config& config, const watcher::Forges& forges,
                                            const std::string& url, const std::vector<OpenPullRequest>& open,
                                            const std::set<store::PullRequestHead>& done) {
  PullRequestsTriggered out;
  for (const auto& w : config.workflows) {
    if (!w.trigger.pull_request || watcher::remote_url(w.trigger, forges) != url) continue;
    const config::PullRequestTrigger& on = *w.trigger.pull_request;
    for (const auto& [pr, sha] : open) {
      std::string which = w.name + ": PR #" + std::to_string(pr.number);
      if (!config::glob_match(on.base, pr.base_branch)) continue;
      if (pr.fork && !on.forks) {
        out.held.push_back(which + " comes from another repository; it runs only with pull_request.forks: true");
        continue;
      }
      if (pr.draft && !on.drafts) {
        out.held.push_back(which + " is a draft; it runs once marked ready (or with pull_request.drafts: true)");
        continue;
      }
      store::PullRequestHead head{w.name, pr.number, sha};
      if (done.count(head)) continue;
      std::string branch = pr.head_branch.empty() ? "pull/" + std::to_string(pr.number) : pr.head_branch;
      store::NewJob job = executor::new_job(
          {&w, w.trigger.repository, branch, sha, "pull_request", url, pr.number, pr.fork});
      // Only the forge's own web address is kept as the PR's link.
      if (pr.url.rfind("https://", 0) == 0 || pr.url.rfind("http://", 0) == 0) job.pull_request_url = pr.url;
      if (w.trigger.require_status) job.state = store::JobState::waiting;
      out.jobs.push_back(std::move(job));
      out.heads.push_back(std::move(head));
    }
  }
  return out;
}

}  // namespace cwf::runner
