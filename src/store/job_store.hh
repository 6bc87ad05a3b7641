#pragma once

// Jobs and their tasks in one SQLite database (WAL) under the data dir. One
// JobStore per process writes; readers (jobs, logs) open their own.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "util/result.hh"

namespace cwf::store {

enum class JobState { queued, waiting, running, succeeded, failed, cancelled, skipped, interrupted };
enum class TaskState { pending, running, succeeded, failed, allowed_failure, skipped, cancelled, timed_out };

const char* to_string(JobState s);
const char* to_string(TaskState s);
std::optional<JobState> parse_job_state(std::string_view s);
std::optional<TaskState> parse_task_state(std::string_view s);
bool is_final(JobState s);

struct TaskRecord {
  int index = 0;
  std::string name, type;
  TaskState state = TaskState::pending;
  std::string reason;
  std::optional<int> exit_code, signal;
  std::optional<std::int64_t> started_at, finished_at;  // ms since the epoch
  std::string build_id, release_id;
  std::string log_path;        // the job's log file, relative to the data dir
  std::int64_t log_offset = 0;  // where this task's lines start in it
  std::int64_t log_bytes = 0;   // how many bytes they take (growing while it runs)
};

struct JobRecord {
  std::int64_t id = 0;
  std::string workflow, repository, branch, commit_sha, trigger;
  JobState state = JobState::queued;
  std::string reason;
  std::optional<std::int64_t> parent_job_id;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> started_at, finished_at;
  std::string remote;  // the URL the commit was fetched from (pushed jobs)
  std::optional<int> promote_task;  // a promote job: the parent's build task it promotes
  std::string integration;          // github, gitlab or git: where its commit status goes
  std::optional<int> pull_request;  // the PR/MR whose head it runs
  std::string pull_request_url;     // its page on the forge
  bool untrusted = false;           // a fork's PR: its scripts get no secrets, no rack credentials
  bool teardown = false;            // deletes the review app of its (remote, workflow, PR)
  std::string commit_title, commit_author;  // its commit's first line and author, if read
  std::vector<TaskRecord> tasks;  // filled by get_job
};

struct NewJob {
  std::string workflow, repository, branch, commit_sha, trigger;
  std::vector<std::pair<std::string, std::string>> tasks;  // name, type
  std::optional<std::int64_t> parent_job_id;
  std::string remote;
  std::optional<int> promote_task;
  std::string integration;
  std::optional<int> pull_request;
  std::string pull_request_url;
  bool untrusted = false;
  bool teardown = false;
  std::string commit_title, commit_author;
  JobState state = JobState::queued;  // or waiting: held by the commit-status gate
};

// A review app the runner created for a pull request (review_app tasks).
struct ReviewApp {
  std::string remote, workflow;
  int pull_request = 0;
  std::string repository, app, rack;
  std::int64_t created_at = 0;
  std::string last_commit;
  std::optional<std::int64_t> deployed_at;
  std::string url;
  std::optional<std::int64_t> expire_after_ms;
  std::string state = "active";  // active, deleting (its teardown job exists), deleted
  std::optional<std::int64_t> deleted_at;
  std::string deployment_id;  // on the forge: its GitHub deployment or GitLab environment
};

// The runner's comment on a pull request, and the heads it was written for.
struct PullRequestComment {
  std::string comment_id, head_sha, base_sha;
};

// A head of a pull request that made jobs of a workflow.
struct PullRequestHead {
  std::string workflow;
  int number = 0;
  std::string sha;
  bool operator<(const PullRequestHead& o) const {
    return std::tie(workflow, number, sha) < std::tie(o.workflow, o.number, o.sha);
  }
};

// A branch of a remote that moved: OLD_SHA empty for a new branch, NEW_SHA
// empty for a deleted one.
struct HeadChange {
  std::string branch, old_sha, new_sha;
};

// Finished jobs (or tasks) of one (workflow or task type, state), for metrics:
// how many, their total duration, and how many took at most each bucket.
inline constexpr std::int64_t kDurationBucketsMs[] = {1000, 5000, 15000, 60000, 300000, 900000, 3600000};
struct DurationStats {
  std::string key, state;
  std::int64_t count = 0, sum_ms = 0;
  std::vector<std::int64_t> at_most;  // one per kDurationBucketsMs, cumulative
};

// The workflows file the runner last applied.
struct AppliedConfig {
  std::string source, revision, content;
  std::int64_t applied_at = 0;
};

struct TaskOutcome {
  TaskState state = TaskState::succeeded;
  std::string reason;
  std::optional<int> exit_code, signal;
  std::string build_id, release_id;
  std::int64_t log_bytes = 0;
};

// A job's end, whole: its state and every task's, as the executor knew them.
// Written in one commit; when the store can't take it (a full disk, an I/O
// error) it is kept in memory, read back by get_job and list_jobs in place of
// what the database says, and retried until it lands.
struct JobEnd {
  std::int64_t id = 0;
  JobState state = JobState::failed;
  std::string reason;
  std::optional<std::int64_t> started_at, finished_at;
  std::vector<TaskRecord> tasks;  // all of them, in order
};

// How many finished jobs are kept: the newest KEEP_JOBS, none older than
// MAX_AGE_MS (0: no limit). Queued, waiting and running jobs are never pruned.
struct Retention {
  int keep_jobs = 0;
  std::int64_t max_age_ms = 0;
  bool limited() const { return keep_jobs > 0 || max_age_ms > 0; }
};

struct JobFilter {
  std::string workflow;  // empty: all
  std::optional<JobState> state;
  int limit = 20;
  std::optional<std::int64_t> before_id;  // cursor: only jobs older than this id
  std::string branch;                      // empty: all
};

// A job's event to notify someone of, as queued (notifications.cc) and read
// back by the notifier and the API. TARGET names the variables holding its
// secrets, never their values.
struct Notification {
  std::int64_t id = 0;
  std::string delivery;  // the id receivers see: the same on every attempt
  std::int64_t job_id = 0;
  std::string workflow, event, target, payload;
  std::string state = "pending";  // pending, delivered, failed (given up)
  int attempts = 0;
  std::int64_t next_at = 0, created_at = 0;
  std::optional<int> last_status;  // the receiver's last HTTP status, if it answered
  std::string last_error;
  std::optional<std::int64_t> finished_at;
};

struct NewNotification {
  std::string event, target, payload;
};

// What a job's new state queues. Called inside the transaction that records
// the state (a start, an end, an interruption), so the notification lands
// with it or not at all: a crash can neither lose it nor make it twice.
class StateHook {
 public:
  virtual ~StateHook() = default;
  // JOB as now recorded, tasks included. PREVIOUS: the final state of the
  // latest earlier job of its workflow on its branch (or PR) that succeeded
  // or failed, for `recovered`. Must not throw, nor call the store.
  virtual std::vector<NewNotification> on_job_state(const JobRecord& job, std::optional<JobState> previous) = 0;
};

// One delivery attempt's outcome.
struct NotificationAttempt {
  enum class Outcome { delivered, retry, failed } outcome = Outcome::delivered;
  std::optional<int> status;
  std::string error;
  std::int64_t at = 0;       // when it ended
  std::int64_t next_at = 0;  // retry: when to try again
};

struct NotificationFilter {
  std::string state;  // empty: all
  int limit = 50;
  std::optional<std::int64_t> before_id;
};

// A failed write: the database or its disk refused it.
struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class JobStore {
 public:
  // Opens <data_dir>/jobs.db, creating the directory and the database and
  // applying pending migrations unless READ_ONLY.
  static Result<std::unique_ptr<JobStore>> open(const std::filesystem::path& data_dir, bool read_only = false);
  ~JobStore();

  const std::filesystem::path& data_dir() const;

  // Writes throw StoreError.
  std::int64_t create_job(const NewJob& job, std::int64_t now);
  void set_job_state(std::int64_t id, JobState state, const std::string& reason, std::int64_t now);
  void start_task(std::int64_t job, int index, const std::string& log_path, std::int64_t log_offset,
                  std::int64_t now);
  void update_task_log(std::int64_t job, int index, std::int64_t log_bytes);
  void finish_task(std::int64_t job, int index, const TaskOutcome& outcome, std::int64_t now);

  // Records END in one commit: true when it landed. Else it stays in
  // memory (readers here see it) until retry_unrecorded() lands it.
  bool finish_job(const JobEnd& end);
  // Tries again the ends that are due (backoff: 1 s doubling to 60 s);
  // returns how many are still unrecorded.
  std::size_t retry_unrecorded(std::int64_t now);
  std::size_t unrecorded() const;
  // The last error SQLite gave any store of this process, and when (0: none).
  struct LastError {
    std::string message;
    std::int64_t at_ms = 0;
  };
  static LastError last_error();
  // On shutdown: the ends still unrecorded go to <data>/unrecorded-ends.json
  // (a small file may still fit where the database can't grow), which open()
  // records the next time. An error says the ends are lost.
  Result<bool> save_unrecorded();

  // Writes between this and commit() land together, or (destroyed
  // uncommitted) not at all: a task's end and the next one's start are one
  // commit instead of two.
  class Transaction {
   public:
    explicit Transaction(JobStore& store);
    Transaction(Transaction&&) noexcept;
    ~Transaction();
    void commit();

   private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
  };

  std::vector<JobRecord> list_jobs(const JobFilter& filter) const;
  std::optional<JobRecord> get_job(std::int64_t id) const;

  // Notifications (notifications.cc). HOOK decides what each job state
  // change queues; not owned, it must outlive the store's writers.
  void set_state_hook(StateHook* hook);
  // Pending notifications due at NOW, oldest first, at most LIMIT, leaving
  // out BUSY (being sent) and any whose job has an earlier one to the same
  // target still pending: a receiver hears a job's events in order.
  std::vector<Notification> due_notifications(std::int64_t now, const std::vector<std::int64_t>& busy, int limit) const;
  // When the earliest of those due_notifications could return is due, if any.
  std::optional<std::int64_t> next_notification_at(const std::vector<std::int64_t>& busy) const;
  void record_notification_attempt(std::int64_t id, const NotificationAttempt& attempt);
  std::vector<Notification> list_notifications(const NotificationFilter& filter) const;
  std::optional<Notification> get_notification(std::int64_t id) const;
  // A given-up notification queued again as of NOW (due at once, the give-up
  // clock restarted); false when it was not `failed`.
  bool requeue_notification(std::int64_t id, std::int64_t now);
  std::map<std::string, std::int64_t> notification_counts() const;  // by state

  // The runner's memory (runner_store.cc).
  // REMOTE's branch heads as last recorded; nullopt when it was never listed.
  std::optional<std::map<std::string, std::string>> heads(const std::string& remote) const;
  // Records CHANGES to REMOTE's heads (and REMOTE itself, the first time).
  void record_heads(const std::string& remote, const std::vector<HeadChange>& changes, std::int64_t now);
  // The PR heads of REMOTE that made jobs (pull_requests.cc).
  std::vector<PullRequestHead> pull_request_heads(const std::string& remote) const;
  // Records HEAD of REMOTE; false when it was recorded before (its job exists).
  bool record_pull_request_head(const std::string& remote, const PullRequestHead& head, std::int64_t now);
  // Forgets the heads of REMOTE's PRs not in OPEN: closed or merged.
  void forget_pull_requests(const std::string& remote, const std::vector<int>& open);
  std::optional<PullRequestComment> pull_request_comment(const std::string& remote, int number) const;
  void record_pull_request_comment(const std::string& remote, int number, const PullRequestComment& c, std::int64_t now);
  // Unfinished jobs of WORKFLOW for PR NUMBER of REMOTE, oldest first.
  std::vector<JobRecord> pull_request_jobs(const std::string& remote, const std::string& workflow, int number) const;
  // Review apps (review_apps.cc). The one of (REMOTE, WORKFLOW, PR), if the runner created it.
  std::optional<ReviewApp> review_app(const std::string& remote, const std::string& workflow, int pull_request) const;
  // All of them (REMOTE empty) or REMOTE's, newest first, deleted ones too.
  std::vector<ReviewApp> review_apps(const std::string& remote = "") const;
  // APP was created: recorded (again, if its PR's app was deleted before).
  void record_review_app_created(const ReviewApp& app);
  void record_review_app_deployed(const ReviewApp& key, const std::string& commit, const std::string& url,
                                  std::optional<std::int64_t> expire_after_ms, std::int64_t now);
  // active -> deleting; false when it was not active (a teardown exists, or it is gone).
  bool mark_review_app_deleting(const ReviewApp& key);
  void record_review_app_deleted(const ReviewApp& key, std::int64_t now);
  void record_review_app_deployment(const ReviewApp& key, const std::string& deployment_id);
  // Ends the jobs a previous runner left running: `interrupted`, logs kept,
  // never re-run. Returns their ids. Jobs of `exec` are left alone.
  std::vector<std::int64_t> interrupt_unfinished(std::int64_t now);
  // Jobs not started yet in STATE (queued, or waiting on the gate), oldest first.
  std::vector<JobRecord> unstarted_jobs(JobState state) const;
  // A job that never started ends in STATE: its tasks skipped, in one commit.
  void end_unstarted(std::int64_t id, JobState state, const std::string& reason, std::int64_t now);
  // A queued job's tasks, when its workflow changed before it started.
  void replace_tasks(std::int64_t job, const std::vector<std::pair<std::string, std::string>>& tasks);
  void save_applied_config(const AppliedConfig& config);
  // Deletes at most BATCH finished jobs beyond RETENTION (oldest first), in
  // one commit; returns them, tasks included, so their logs can go too. A
  // rerun of a pruned job keeps no link to it.
  std::vector<JobRecord> prune(const Retention& retention, std::int64_t now, int batch = 500);
  // By workflow and final state; by task type and final state.
  std::vector<DurationStats> job_durations() const;
  std::vector<DurationStats> task_durations() const;
  std::optional<AppliedConfig> applied_config() const;
  // Records FORGE's delivery ID unless it was recorded within WINDOW_MS
  // before NOW; returns false for such a repeat. Older ids are forgotten, and
  // at most MAX_KEPT are kept.
  bool record_delivery(const std::string& forge, const std::string& id, std::int64_t now, std::int64_t window_ms,
                       std::int64_t max_kept = 100000);

 private:
  struct Impl;
  explicit JobStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// JOB's log file under DATA_DIR (one per job; its tasks' byte ranges in
// order); empty before any task started.
std::filesystem::path log_file(const JobRecord& job, const std::filesystem::path& data_dir);

// The line that ends the log of JOB, ended, whose file holds less than its
// tasks' recorded ranges: writing it failed (a full disk) and the rest was
// lost. Empty when the log is whole, or the job still runs.
std::string log_cut_note(const JobRecord& job, std::uint64_t file_size);

// --data-dir's default: $XDG_STATE_HOME/convox-workflows, else
// ~/.local/state/convox-workflows.
std::filesystem::path default_data_dir();
std::int64_t now_ms();

}  // namespace cwf::store
