// Pull requests: each poll of a remote watched by a pull request workflow
// reads the forge's list of open PRs (when it may have changed) and the heads
// the forge publishes as refs, and makes one job per (workflow, PR, head).
#include <algorithm>

#include "config/names.hh"
#include "git/remote.hh"
#include "runner/runner.hh"
#include "util/log.hh"

namespace cwf::runner {
namespace {

// Without a webhook, a PR closed or marked ready (neither moves a ref) is
// noticed this late at most.
constexpr std::int64_t kPullRequestRelistMs = 5 * 60 * 1000;
constexpr std::size_t kMaxNoted = 10000;

}  // namespace

std::optional<std::string> Runner::poll_pull_requests(const std::string& url, const std::map<int, std::string>& refs,
                                                      const Heads& branches) {
  ConfigPtr config = reconciler_.current();
  const config::Workflow* watching = nullptr;
  for (const auto& w : config->workflows)
    if (w.trigger.pull_request && remote_of(w.trigger) == url) watching = &w;
  // The config repository's PRs get their plan commented, with a token to do it.
  std::optional<std::pair<std::string, std::string>> config_repo;
  if (url == config_url_) config_repo = watcher::forge_repository(url, options_.forges);
  if (config_repo && (config_repo->first == "github" ? options_.forges.github_token : options_.forges.gitlab_token).empty())
    config_repo.reset();
  if (!watching && !config_repo) return std::nullopt;
  bool gitlab = watching ? watching->trigger.integration == config::Integration::gitlab : config_repo->first == "gitlab";
  const std::string& repository = watching ? watching->trigger.repository : config_repo->second;
  std::int64_t now = store::now_ms();
  {
    std::lock_guard lock(pull_mu_);
    PullRequestPoll& p = pull_polls_[url];
    if (p.refs == refs && (!config_repo || p.branches == branches) && !p.hinted && now - p.listed_at < kPullRequestRelistMs)
      return std::nullopt;
  }
  forge::ForgeApi& api = gitlab ? *gitlab_ : *github_;
  forge::PullRequestList list = api.open_pull_requests(repository);
  if (!list.ok()) {
    log::warn("cannot list the open pull requests; retrying later",
              {{"repository", repository}, {"forge", api.name()}, {"error", list.error}});
    return list.error;
  }
  if (config_repo) plan_pull_requests(url, config_repo->first, config_repo->second, list.open, refs, branches);
  auto listed = [&] {
    std::lock_guard lock(pull_mu_);
    PullRequestPoll& p = pull_polls_[url];
    p.refs = refs;
    p.branches = branches;
    p.listed_at = now;
    p.hinted = false;
  };
  if (!watching) {
    listed();
    return std::nullopt;
  }
  std::vector<OpenPullRequest> open;
  std::vector<int> numbers;
  for (const auto& pr : list.open) {
    numbers.push_back(pr.number);
    auto ref = refs.find(pr.number);
    // The forge publishes the ref shortly after the PR opens: the next poll has it.
    if (ref == refs.end()) continue;
    open.push_back({pr, ref->second});
  }
  auto recorded = store_.pull_request_heads(url);
  PullRequestsTriggered triggered = pull_request_jobs_for(
      *config, options_.forges, url, open, std::set<store::PullRequestHead>(recorded.begin(), recorded.end()));
  {
    std::lock_guard lock(pull_mu_);
    PullRequestPoll& p = pull_polls_[url];
    if (p.noted.size() > kMaxNoted) p.noted.clear();
    for (const auto& why : triggered.held)
      if (p.noted.insert(why).second) log::info("pull request not run", {{"remote", config::redact_url(url)}, {"why", why}});
  }
  if (!triggered.jobs.empty() && !watcher::local_path(url)) {
    std::set<std::string> wanted;
    for (const auto& job : triggered.jobs) wanted.insert(git::pull_request_ref(*job.pull_request, gitlab));
    auto creds = watcher::credentials_for(url, options_.forges);
    if (auto error = git::fetch_refs(watcher::mirror_path(options_.data_dir, url), url,
                                     std::vector<std::string>(wanted.begin(), wanted.end()), creds)) {
      log::warn("cannot fetch the pull requests' heads; retrying later",
                {{"remote", config::redact_url(url)}, {"error", error->message}});
      return error->message;
    }
  }
  for (auto& job : triggered.jobs) describe(job);
  std::vector<std::int64_t> ids;
  {
    store::JobStore::Transaction tx(store_);  // a head is recorded with its job, or neither is
    for (std::size_t i = 0; i < triggered.jobs.size(); ++i)
      if (store_.record_pull_request_head(url, triggered.heads[i], now))
        ids.push_back(store_.create_job(triggered.jobs[i], now));
    // A PR missing from a cut list may still be open: nothing is forgotten or deleted on it.
    if (list.complete) {
      store_.forget_pull_requests(url, numbers);
      auto teardowns = tear_down_review_apps(url, numbers, now);
      ids.insert(ids.end(), teardowns.begin(), teardowns.end());
    }
    tx.commit();
  }
  listed();
  for (std::int64_t id : ids) {
    auto job = store_.get_job(id);
    if (!job) continue;
    log::info(job->teardown ? "review app teardown job" : "pull request job",
              {{"job", std::to_string(id)},
               {"workflow", job->workflow},
               {"pull_request", std::to_string(*job->pull_request)},
               {"branch", job->branch},
               {"commit", job->commit_sha.substr(0, 12)},
               {"untrusted", job->untrusted ? "yes" : "no"}});
    if (!job->teardown) supersede_pull_request(url, *job);
    if (job->state == store::JobState::waiting) gate_->hold(*job);
    else scheduler_->submit(*job);
  }
  return std::nullopt;
}

void Runner::supersede_pull_request(const std::string& url, const store::JobRecord& newer) {
  std::string why = "superseded: PR #" + std::to_string(*newer.pull_request) + " moved to " +
                    newer.commit_sha.substr(0, 12) + " (job " + std::to_string(newer.id) + ")";
  for (const auto& older : store_.pull_request_jobs(url, newer.workflow, *newer.pull_request)) {
    if (older.id >= newer.id) continue;
    if (!gate_->cancel(older.id, why)) scheduler_->cancel(older.id, why);
    log::info("job superseded", {{"job", std::to_string(older.id)}, {"by", std::to_string(newer.id)}});
  }
}

std::vector<std::int64_t> Runner::tear_down_review_apps(const std::string& url, const std::vector<int>& open,
                                                        std::int64_t now) {
  std::vector<std::int64_t> ids;
  for (const auto& app : store_.review_apps(url)) {
    if (app.state != "active") continue;
    bool closed = std::find(open.begin(), open.end(), app.pull_request) == open.end();
    bool idle = app.expire_after_ms && app.deployed_at && now - *app.deployed_at > *app.expire_after_ms;
    if (!closed && !idle) continue;
    if (!store_.mark_review_app_deleting(app)) continue;
    store::NewJob job;
    job.workflow = app.workflow;
    job.repository = app.repository;
    job.commit_sha = app.last_commit;
    job.trigger = "pull_request";
    job.remote = url;
    job.pull_request = app.pull_request;
    job.teardown = true;
    // Its state is not posted: the PR's head carries its deploy's status.
    job.integration = "git";
    job.tasks = {{"delete " + config::app_on_rack(app.app, app.rack), "review_app"}};
    ids.push_back(store_.create_job(job, now));
    log::info(closed ? "the pull request is closed: its review app goes" : "the review app was idle: it goes",
              {{"app", config::app_on_rack(app.app, app.rack)}, {"pull_request", std::to_string(app.pull_request)},
               {"job", std::to_string(ids.back())}});
  }
  return ids;
}

WorkflowPtr Runner::teardown_workflow(const store::JobRecord& job) const {
  if (!job.pull_request) return nullptr;
  auto app = store_.review_app(job.remote, job.workflow, *job.pull_request);
  if (!app) return nullptr;
  config::Task del;
  del.type = config::TaskType::review_app;
  del.teardown = true;
  del.name = "delete " + config::app_on_rack(app->app, app->rack);
  del.app = app->app;
  del.rack = app->rack;
  del.timeout = std::chrono::seconds(1800);
  auto wf = std::make_shared<config::Workflow>();
  wf->name = job.workflow;
  wf->tasks.push_back(std::move(del));
  return wf;
}

}  // namespace cwf::runner
