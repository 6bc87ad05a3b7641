#include "runner/runner.hh"

#include <cctype>
#include <limits>
#include <set>
#include <thread>

#include "config/names.hh"
#include "git/remote.hh"
#include "git/workspace.hh"
#include "runner/watchdog.hh"
#include "util/log.hh"

namespace cwf::runner {
namespace {

std::string short_sha(const std::string& sha) { return sha.substr(0, 12); }

std::string config_source_name(const RunnerOptions& o) {
  if (!o.workflows_file.empty()) return "file " + o.workflows_file;
  return "git " + config::redact_url(o.config_repo) + " " + o.config_branch + ":" + o.config_path;
}

}  // namespace

Runner::Runner(RunnerOptions options, store::JobStore& store)
    : options_(std::move(options)), store_(store), reconciler_(config_source_name(options_), config::LoadOptions{options_.executor.racks.get(), options_.executor.task_backend}) {
  if (options_.workflows_file.empty()) config_url_ = options_.config_repo;
  launcher_ = options_.launcher ? options_.launcher : std::make_shared<executor::LocalLauncher>();
}

Runner::~Runner() {
  if (notify_hook_) store_.set_state_hook(nullptr);  // the store outlives us
}

std::string Runner::source_of(const std::string& url) const {
  if (auto local = watcher::local_path(url)) return *local;
  return watcher::mirror_path(options_.data_dir, url).string();
}

void Runner::describe(store::NewJob& job) const {
  if (auto c = git::commit_summary(source_of(job.remote), job.commit_sha)) {
    job.commit_title = std::move(c->title);
    job.commit_author = std::move(c->author);
  }
}

std::optional<std::string> Runner::poll_remote(const std::string& url) {
  auto listed = git::list_refs(url, watcher::credentials_for(url, options_.forges));
  if (!listed) {
    log::warn("cannot list the remote's branches; backing off", {{"remote", config::redact_url(url)},
                                                                 {"error", listed.error().message}});
    // Like Flux: a source that cannot be fetched is not ready, whatever still runs.
    if (url == config_url_) reject_config("(unreachable)", listed.error().message);
    return listed.error().message;
  }
  Heads now;
  for (auto& b : listed->branches) now[b.branch] = b.sha;
  if (log::enabled(log::Level::debug))
    log::debug("listed", {{"remote", config::redact_url(url)}, {"branches", std::to_string(now.size())}});
  try {
    auto known = store_.heads(url);
    if (!known) {
      std::vector<store::HeadChange> all;
      for (const auto& [branch, sha] : now) all.push_back({branch, "", sha});
      store_.record_heads(url, all, store::now_ms());
      log::info("watching a new remote from its current heads",
                {{"remote", config::redact_url(url)}, {"branches", std::to_string(now.size())}});
    } else if (*known != now) {
      if (auto error = trigger(url, *known, now)) return error;
    }
    if (url == config_url_) check_config_branch(url, now);
    if (auto error = poll_pull_requests(url, listed->pull_requests, now)) return error;
  } catch (const store::StoreError& e) {
    log::error("cannot record the remote's heads", {{"remote", config::redact_url(url)}, {"error", e.what()}});
    return std::string(e.what());
  }
  return std::nullopt;
}

std::optional<std::string> Runner::trigger(const std::string& url, const Heads& known, const Heads& now) {
  std::vector<store::HeadChange> changes = head_changes(known, now);
  if (!watcher::local_path(url)) {
    std::vector<std::string> moved;
    for (const auto& c : changes)
      if (!c.new_sha.empty()) moved.push_back(c.branch);
    if (!moved.empty()) {
      auto mirror = watcher::mirror_path(options_.data_dir, url);
      if (auto error = git::fetch_branches(mirror, url, moved, watcher::credentials_for(url, options_.forges))) {
        log::warn("cannot fetch the moved branches; retrying later",
                  {{"remote", config::redact_url(url)}, {"error", error->message}});
        return error->message;
      }
    }
  }
  std::string source = source_of(url);
  auto changed = [&](const store::HeadChange& c) -> std::optional<std::vector<std::string>> {
    auto files = git::changed_files(source, c.old_sha, c.new_sha);
    if (files) return std::move(*files);
    log::warn("cannot tell which files the push changed; paths filters let it through",
              {{"branch", c.branch}, {"error", files.error().message}});
    return std::nullopt;
  };
  Triggered triggered = jobs_for(*reconciler_.current(), options_.forges, url, changes, changed);
  for (const auto& [workflow, c] : triggered.filtered)
    log::info("push not run: no changed file matches paths",
              {{"workflow", workflow}, {"branch", c.branch}, {"commit", short_sha(c.new_sha)}});
  for (auto& j : triggered.jobs) describe(j);
  const auto& jobs = triggered.jobs;
  std::vector<std::int64_t> ids;
  {
    std::int64_t at = store::now_ms();
    store::JobStore::Transaction tx(store_);  // the jobs and the heads that made them land together
    for (const auto& j : jobs) ids.push_back(store_.create_job(j, at));
    store_.record_heads(url, changes, at);
    tx.commit();
  }
  for (const auto& c : changes) {
    std::string job_ids;
    for (std::size_t i = 0; i < jobs.size(); ++i)
      if (jobs[i].branch == c.branch) job_ids += (job_ids.empty() ? "" : ",") + std::to_string(ids[i]);
    log::info(c.new_sha.empty() ? "branch deleted" : c.old_sha.empty() ? "branch created" : "branch moved",
              {{"remote", config::redact_url(url)}, {"branch", c.branch}, {"from", short_sha(c.old_sha)},
               {"to", short_sha(c.new_sha)}, {"jobs", job_ids}});
  }
  for (const auto& c : changes)
    if (!c.new_sha.empty()) gate_->supersede(url, c.branch, c.new_sha);
  for (std::int64_t id : ids) {
    auto job = store_.get_job(id);
    if (!job) continue;
    if (job->state == store::JobState::waiting) gate_->hold(*job);
    else scheduler_->submit(*job);
  }
  if (url == config_url_)
    for (const auto& c : changes)
      if (c.branch != options_.config_branch) check_branch_config(url, c);
  return std::nullopt;
}

void Runner::update_remotes() {
  if (!poller_) return;
  std::set<std::string> urls;
  if (!config_url_.empty()) urls.insert(config_url_);
  for (const auto& w : reconciler_.current()->workflows) urls.insert(watcher::remote_url(w.trigger, options_.forges));
  poller_->set_remotes(urls);
}

void Runner::run_job(const store::JobRecord& job, const config::Workflow& wf, const executor::CancelToken& cancel) {
  // The workflow as it is now: an edit made while the job waited applies.
  std::vector<std::pair<std::string, std::string>> tasks;
  for (const auto& t : wf.tasks) tasks.emplace_back(t.name, config::to_string(t.type));
  store_.replace_tasks(job.id, tasks);
  executor::JobSpec spec{&wf, job.repository, job.branch, job.commit_sha, job.trigger, job.remote, job.pull_request,
                         job.untrusted};
  store::JobRecord running = job;
  running.state = store::JobState::running;
  running.tasks.resize(tasks.size());
  reporter_->job(running);
  log::info("job started", {{"job", std::to_string(job.id)}, {"workflow", wf.name}, {"branch", job.branch},
                            {"commit", short_sha(job.commit_sha)}});
  auto workspace = options_.data_dir / "workspaces" / std::to_string(job.id);
  std::error_code ec;
  std::filesystem::remove_all(workspace, ec);
  std::filesystem::create_directories(workspace.parent_path(), ec);
  if (job.teardown) {  // it deletes an app: no checkout (its PR's head may be gone)
    std::filesystem::create_directories(workspace, ec);
    executor_->run(job.id, spec, workspace, cancel);
  } else if (auto checkout = git::checkout_workspace(source_of(job.remote), job.commit_sha, workspace); !checkout) {
    executor_->fail_before_start(job.id, spec, "cannot check out the commit: " + checkout.error().message);
  } else {
    executor_->run(job.id, spec, workspace, cancel);
  }
  std::filesystem::remove_all(workspace, ec);
  auto done = store_.get_job(job.id);
  if (done) reporter_->job(*done);
  if (done && done->pull_request) review_app_ended(*done);
  prune_due_ = true;
  log::info("job finished", {{"job", std::to_string(job.id)},
                             {"workflow", wf.name},
                             {"state", done ? store::to_string(done->state) : "unknown"},
                             {"reason", done ? done->reason : ""}});
}

void Runner::prune_jobs() {
  if (!options_.retention.limited()) return;
  std::size_t total = 0;
  for (;;) {
    std::vector<store::JobRecord> pruned;
    try {
      pruned = store_.prune(options_.retention, store::now_ms());
    } catch (const store::StoreError& e) {
      log::error("cannot prune old jobs", {{"error", e.what()}});
      return;
    }
    for (const auto& j : pruned) {
      std::error_code ec;
      if (auto log = store::log_file(j, options_.data_dir); !log.empty()) std::filesystem::remove(log, ec);
    }
    total += pruned.size();
    if (pruned.size() < 500) break;  // a batch short of full: nothing is left
  }
  if (total > 0)
    log::info("pruned old jobs and their logs", {{"jobs", std::to_string(total)},
                                                 {"retain_jobs", std::to_string(options_.retention.keep_jobs)},
                                                 {"retain_days", std::to_string(options_.retention.max_age_ms / 86400000)}});
}

std::vector<watcher::RemoteStatus> Runner::remotes() const {
  return poller_ ? poller_->status() : std::vector<watcher::RemoteStatus>{};
}

std::string Runner::remote_of(const config::Trigger& trigger) const { return watcher::remote_url(trigger, options_.forges); }

int Runner::poll_for_push(server::Forge forge, const server::PushHint& hint) {
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  auto integration = forge == server::Forge::github ? config::Integration::github : config::Integration::gitlab;
  const std::string& forge_url = forge == server::Forge::github ? options_.forges.github_url : options_.forges.gitlab_url;
  auto named = [&](const std::string& url) {
    if (lower(url) == lower(forge_url + "/" + hint.repository + ".git")) return true;
    for (const auto& u : hint.urls)
      if (u == url) return true;
    return false;
  };
  std::set<std::string> urls;
  for (const auto& w : reconciler_.current()->workflows) {
    std::string url = remote_of(w.trigger);
    if ((w.trigger.integration == integration && lower(w.trigger.repository) == lower(hint.repository)) || named(url))
      urls.insert(url);
  }
  if (!config_url_.empty() && named(config_url_)) urls.insert(config_url_);
  {
    // A PR opened, closed or marked ready moves no branch: the forge's list is read again.
    std::lock_guard lock(pull_mu_);
    for (const auto& url : urls)
      if (auto it = pull_polls_.find(url); it != pull_polls_.end()) it->second.hinted = true;
  }
  for (const auto& url : urls) poller_->poll_now(url);
  return static_cast<int>(urls.size());
}

std::vector<std::string> Runner::stalls() const {
  WatchdogLimits limits;
  limits.poll = std::max(limits.loop, 10 * options_.remote_timeout);
  return runner::stalls(store::now_ms(), loop_turn_ms_.load(), remotes(), limits);
}

int Runner::run(const std::atomic<bool>& stop) {
  git::install_network_timeouts(options_.remote_timeout, &abort_network_);
  start_forges();
  // Before the interrupted jobs: their notifications follow the last applied file.
  std::string source = reconciler_.status().source;
  if (auto saved = store_.applied_config(); saved && saved->source == source) {
    std::string name = options_.workflows_file.empty() ? options_.config_path : options_.workflows_file;
    if (reconciler_.restore(saved->revision, name, saved->content, saved->applied_at))
      log::info("restored the last applied workflows file", {{"revision", saved->revision},
                                                             {"workflows", std::to_string(reconciler_.status().workflows)}});
  }
  start_notifications();
  // Containers (Jobs) a killed runner left run on: gone before their jobs read interrupted.
  if (auto left = launcher_->remove_leftovers(); !left)
    log::error("cannot remove the containers the last run left", {{"error", left.error().message}});
  for (std::int64_t id : store_.interrupt_unfinished(store::now_ms())) {
    log::warn("job interrupted: the runner stopped while it ran; its log is kept, it is not re-run",
              {{"job", std::to_string(id)}});
    std::error_code ec;
    std::filesystem::remove_all(options_.data_dir / "workspaces" / std::to_string(id), ec);
    report(id);
  }
  executor_ = std::make_unique<executor::Executor>(store_, *launcher_, options_.executor);
  scheduler_ = std::make_unique<Scheduler>(
      store_, [this](const store::JobRecord& job) { return resolve(job); },
      [this](const store::JobRecord& job, const config::Workflow& wf, const executor::CancelToken& cancel) {
        run_job(job, wf, cancel);
      },
      options_.max_parallel_jobs, [this](std::int64_t id) { report(id); });
  poller_ = std::make_unique<watcher::Poller>([this](const std::string& url) { return poll_remote(url); },
                                              options_.poll_interval, options_.poll_workers);
  // Read before the first poll, which may make (and submit) jobs of its own.
  auto queued = store_.unstarted_jobs(store::JobState::queued);
  auto waiting = store_.unstarted_jobs(store::JobState::waiting);
  if (config_url_.empty()) check_config_file();
  for (const auto& job : queued) scheduler_->resume(job);
  for (const auto& job : waiting) gate_->hold(job);
  update_remotes();
  if (options_.serve) {
    http_ = std::make_unique<server::HttpServer>(options_.server, *this, store_);
    auto port = http_->start();
    if (!port) {
      log::error("cannot serve HTTP", {{"error", port.error().message}});
      poller_->stop();
      stop_forges();
      scheduler_->drain(std::chrono::milliseconds(0));
      stop_notifications();
      return 1;
    }
    listening_ = options_.server.host + ":" + std::to_string(*port);
    log::info("serving HTTP", {{"listen", listening_}});
    if (http_->health_port() >= 0)
      log::info("serving health checks",
                {{"listen", options_.server.health_host + ":" + std::to_string(http_->health_port())}});
    warnings_ = server::exposure_warnings(options_.server);
    for (const auto& w : warnings_) log::warn(w);
  }
  log::info("runner started", {{"config", source},
                               {"data_dir", options_.data_dir.string()},
                               {"poll_interval_ms", std::to_string(options_.poll_interval.count())},
                               {"max_parallel_jobs", std::to_string(options_.max_parallel_jobs)}});
  prune_jobs();
  auto started = std::chrono::steady_clock::now();
  bool cycled = false;
  // --once exits as soon as its cycle is done; a long-running runner only
  // needs to notice SIGTERM and the workflows file's changes.
  const auto tick_length = std::chrono::milliseconds(options_.once ? 10 : 100);
  const int ticks_per_second = options_.once ? 100 : 10;
  for (int tick = 0; !stop.load(); ++tick) {
    loop_turn_ms_ = store::now_ms();
    std::this_thread::sleep_for(tick_length);
    if (!cycled && poller_->first_cycle_done()) {
      cycled = true;
      auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
      log::info("first poll cycle done", {{"remotes", std::to_string(poller_->status().size())},
                                          {"duration_ms", std::to_string(took.count())}});
    }
    if (options_.once && cycled && scheduler_->idle()) break;
    if (tick % ticks_per_second == 0) {
      if (config_url_.empty()) check_config_file();
      store_.retry_unrecorded(store::now_ms());
      write_state(false);
    }
    if (prune_due_.exchange(false) || tick % (60 * ticks_per_second) == 0) prune_jobs();
  }
  log::info(stop.load() ? "stopping: no new job starts; running jobs get the shutdown grace" : "stopping",
            {{"running_jobs", std::to_string(scheduler_->running())},
             {"shutdown_grace_ms", std::to_string(options_.shutdown_grace.count())}});
  if (http_) http_->stop();
  abort_network_ = true;
  poller_->stop();
  scheduler_->drain(options_.shutdown_grace);
  reporter_->flush(std::chrono::seconds(5));  // the drained jobs' final statuses
  stop_forges();
  stop_notifications();
  if (store_.retry_unrecorded(std::numeric_limits<std::int64_t>::max()) > 0) {
    if (auto saved = store_.save_unrecorded(); saved)
      log::warn("the ends of jobs the store could not record are saved; the next runner records them",
                {{"jobs", std::to_string(store_.unrecorded())}});
    else
      log::error("the ends of jobs the store could not record are lost; after a restart they read interrupted",
                 {{"jobs", std::to_string(store_.unrecorded())}, {"error", saved.error().message}});
  }
  write_state(true);
  log::info("stopped");
  return 0;
}

}  // namespace cwf::runner
