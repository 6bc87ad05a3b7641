#pragma once

// `convox-workflows run`: watches the remotes of the live workflows, turns
// each moved branch head into one job per matching workflow, applies new
// revisions of the workflows file, and runs the jobs.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "executor/executor.hh"
#include "executor/process.hh"
#include "forge/forge.hh"
#include "notify/notifier.hh"
#include "runner/deployments.hh"
#include "runner/gate.hh"
#include "runner/reconciler.hh"
#include "runner/scheduler.hh"
#include "runner/status_reporter.hh"
#include "runner/triggers.hh"
#include "server/http_server.hh"
#include "store/job_store.hh"
#include "watcher/poller.hh"
#include "watcher/remote_url.hh"

namespace cwf::runner {

struct RunnerOptions {
  // The workflows file: a path in a git repository's branch, or a file on disk.
  std::string config_repo, config_branch = "main", config_path = ".convox-workflows.yml";
  std::string workflows_file;
  std::filesystem::path data_dir;
  std::chrono::milliseconds poll_interval{30000}, remote_timeout{30000}, shutdown_grace{30000};
  int max_parallel_jobs = 2;
  int poll_workers = 8;
  bool once = false;  // one poll of every remote, run what it triggers, exit
  // Where tasks run (--task-backend, executor.task_backend); empty: here, as processes.
  std::shared_ptr<executor::TaskLauncher> launcher;
  bool serve = true;  // the HTTP server (server.host, server.port)
  server::ServerOptions server;
  watcher::Forges forges;
  // The forges' REST APIs: the commit-status gate and status reporting.
  std::string github_api_url = "https://api.github.com", gitlab_api_url = "https://gitlab.com/api/v4";
  std::string public_url;  // the runner's address as people reach it: statuses link to job pages
  std::chrono::milliseconds forge_timeout{10000};
  GateOptions gate;
  store::Retention retention;  // finished jobs kept (and their logs)
  executor::ExecutorOptions executor;
  notify::NotifierOptions notify;  // its masked: what every job log masks
};

class Runner : public server::RunnerView {
 public:
  Runner(RunnerOptions options, store::JobStore& store);
  ~Runner() override;

  // Runs until STOP becomes true (or, with once, until the first cycle's jobs
  // end). Returns the exit code.
  int run(const std::atomic<bool>& stop);

  // server::RunnerView
  ConfigStatus config_status() const override { return reconciler_.status(); }
  ConfigPtr config() const override { return reconciler_.current(); }
  std::vector<watcher::RemoteStatus> remotes() const override;
  std::string remote_of(const config::Trigger& trigger) const override;
  std::size_t jobs_running() const override { return scheduler_ ? scheduler_->running() : 0; }
  std::size_t jobs_queued() const override { return scheduler_ ? scheduler_->queued() : 0; }
  std::size_t jobs_waiting() const override { return gate_ ? gate_->waiting() : 0; }
  std::vector<server::ForgeStats> forge_stats() const override;
  std::vector<server::NotifyStats> notify_stats() const override;
  void wake_notifier() override {
    if (notifier_) notifier_->wake();
  }
  std::vector<std::string> stalls() const override;
  int poll_for_push(server::Forge forge, const server::PushHint& hint) override;
  int recheck_status(server::Forge forge, const server::StatusHint& hint) override;
  server::ActionResult trigger(const std::string& name, const std::string& branch, const std::string& commit) override;
  server::ActionResult cancel(std::int64_t job) override;
  server::ActionResult rerun(std::int64_t job) override;
  server::ActionResult promote(std::int64_t job, int task) override;

 private:
  std::optional<std::string> poll_remote(const std::string& url);
  std::optional<std::string> trigger(const std::string& url, const Heads& known, const Heads& now);
  // pull_requests.cc: URL's open PRs (the forge's list, the heads its refs
  // publish) into jobs, once per (workflow, PR, head); a newer head
  // supersedes the PR's older jobs.
  std::optional<std::string> poll_pull_requests(const std::string& url, const std::map<int, std::string>& refs,
                                                const Heads& branches);
  // config_pulls.cc: the plan of each open PR of the config repository that
  // changes the workflows file, as one comment kept up to date.
  void plan_pull_requests(const std::string& url, const std::string& forge, const std::string& repository,
                          const std::vector<forge::PullRequest>& open, const std::map<int, std::string>& refs,
                          const Heads& branches);
  void supersede_pull_request(const std::string& url, const store::JobRecord& newer);
  // The review apps of URL whose PR is not in OPEN, or idle past their
  // expire_after: a teardown job each, once (in the caller's transaction).
  std::vector<std::int64_t> tear_down_review_apps(const std::string& url, const std::vector<int>& open,
                                                  std::int64_t now);
  // A teardown job's one task: delete its review app.
  WorkflowPtr teardown_workflow(const store::JobRecord& job) const;
  // config_sources.cc
  void check_config_branch(const std::string& url, const Heads& now);
  void check_config_file();
  void offer_config(const std::string& revision, const std::string& name, const std::string& content,
                    std::uint64_t size);
  void reject_config(const std::string& revision, const std::string& error);
  void update_remotes();
  server::ActionResult enqueue(store::NewJob job, int status);
  // What JOB runs now: its workflow in the live config, or for a promote job,
  // one promote task made from its parent's build task.
  WorkflowPtr resolve(const store::JobRecord& job) const;
  void run_job(const store::JobRecord& job, const config::Workflow& workflow, const executor::CancelToken& cancel);
  // The forge side (forge_side.cc): APIs, the gate and the reporter; a job's
  // state to its commit; the workflows file's verdict to the config commit.
  void start_forges();
  void stop_forges();
  void report(std::int64_t job);
  void report_config(const std::string& sha, const std::vector<std::string>& errors);
  // A pull request's job ended (DONE, as recorded): its review app's deployment on the forge.
  void review_app_ended(const store::JobRecord& done);
  // A branch of the config repository other than the config branch moved:
  // its workflows file is checked and the verdict posted (pull requests).
  void check_branch_config(const std::string& url, const store::HeadChange& change);
  std::string source_of(const std::string& url) const;  // where a remote's objects are read
  // JOB's commit's first line and author, from the remote's objects (left
  // empty when they can't be read: the job runs all the same).
  void describe(store::NewJob& job) const;
  void prune_jobs();  // --retain-jobs, --retain-days
  // notifications.cc: the store's hook and the notifier; the notifications'
  // secrets masked in the runner's log (again whenever the file changes).
  void start_notifications();
  void stop_notifications();
  void mask_notification_secrets();
  void write_state(bool force);

  RunnerOptions options_;
  store::JobStore& store_;
  std::atomic<std::int64_t> loop_turn_ms_{0};  // the main loop's last turn, for the watchdog
  std::string config_url_;  // empty: the workflows file is on disk
  Reconciler reconciler_;
  std::shared_ptr<executor::TaskLauncher> launcher_;  // by --task-backend
  std::unique_ptr<executor::Executor> executor_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<watcher::Poller> poller_;
  std::unique_ptr<forge::ForgeApi> github_, gitlab_;
  std::unique_ptr<StatusReporter> reporter_;
  std::unique_ptr<DeploymentReporter> deployments_;
  std::unique_ptr<Gate> gate_;
  std::unique_ptr<notify::Sender> notify_sender_;
  std::unique_ptr<notify::NotifyHook> notify_hook_;
  std::unique_ptr<notify::Notifier> notifier_;
  std::unique_ptr<server::HttpServer> http_;  // last: stopped first
  std::string listening_;
  std::vector<std::string> warnings_;  // how the HTTP side is exposed, for `status`
  std::atomic<bool> abort_network_{false};
  std::atomic<bool> prune_due_{false};  // a job ended: retention may apply
  std::mutex state_mu_;
  std::string last_state_;
  std::string last_config_report_;  // the config commit whose verdict was posted
  // Per remote with pull request workflows: the PR refs last listed and when
  // the forge's list was last read. The list is read again when the refs
  // change, a webhook names the repository, or kPullRequestRelist passed.
  struct PullRequestPoll {
    std::map<int, std::string> refs;
    Heads branches;  // a base branch that moves changes a config PR's plan
    std::int64_t listed_at = 0;
    bool hinted = false;
    std::set<std::string> noted;  // why PRs were held, logged once each
  };
  std::mutex pull_mu_;
  std::map<std::string, PullRequestPoll> pull_polls_;
  struct FileStamp {
    std::int64_t mtime_ns = -1, size = -1, inode = -1;
  } file_stamp_;
};

}  // namespace cwf::runner
