#pragma once

// The workflows file once validated: every default already applied, so the
// executor and the plan read effective values only.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.hh"
#include "config/duration.hh"

namespace cwf::config {

enum class Integration { github, gitlab, git };
enum class Concurrency { queue, cancel_previous, skip_if_running };
enum class TaskType { build, copy, promote, review_app, run, script };

const char* to_string(Integration i);
const char* to_string(Concurrency c);
const char* to_string(TaskType t);

inline constexpr Seconds kDefaultTaskTimeout{3600};

struct HealthCheck {
  std::string url;
  Seconds timeout{300};
  Seconds interval{5};
  int expect_min = 200;  // an accepted status is in [expect_min, expect_max]
  int expect_max = 399;
};

// A command run on the rack in a service of an app (convox run).
struct RackCommand {
  std::string service, command;
};

// At most this long, so "<app>-pr-<number>" stays within Convox's 30.
inline constexpr std::size_t kMaxReviewAppBase = 20;

struct Task {
  TaskType type = TaskType::script;
  std::string name;  // as written, or derived ("build web")
  Seconds timeout = kDefaultTaskTimeout;
  bool continue_on_error = false;
  Position pos;

  // build, promote, run, copy (for a copy: where the build goes); review_app
  // (the base of its app's name, on the rack)
  std::string app;
  std::string rack;  // empty: the convox CLI's current rack
  // build, review_app
  std::string manifest = "docker-compose.yml";
  bool promote = false;
  std::string description;
  std::map<std::string, std::string> build_args;
  // copy: the build it copies (an ID, or what the build task build_from_task
  // made) and the app and rack that build belongs to.
  std::string build;
  std::optional<int> build_from_task;
  std::string from_app, from_rack;
  // promote (and build with promote: true)
  std::optional<HealthCheck> health_check;
  // promote and run: empty means the release of the nearest earlier build or
  // copy to the app on the rack (release_from_task holds its index), or for
  // run the app's current one.
  std::string release;
  std::optional<int> release_from_task;
  // run
  std::string service;
  // run (a command line on the rack) and script (run by /bin/sh -c)
  std::string command;
  // script
  std::vector<std::string> argv;
  // script: its process's variables; review_app: the review app's environment
  std::map<std::string, std::string> env;
  std::vector<std::string> secrets;  // names taken from the runner's environment
  std::string working_directory;
  // script: the container image it runs in (--task-backend podman or
  // kubernetes; empty: a process beside the runner) and its CPU and memory
  // ("2", "500m"; "512Mi", "2Gi"), empty when not set.
  std::string image, cpu, memory;
  // review_app: around its promotion; deleted when its PR has had no new
  // head this long; teardown: the runner's own task deleting it.
  std::optional<RackCommand> before_promote, after_promote;
  std::optional<Seconds> expire_after;
  bool teardown = false;
};

// Pull requests (GitHub) or merge requests (GitLab) into a base branch.
struct PullRequestTrigger {
  std::string base = "*";  // a glob on the base branch
  bool forks = false;      // a PR from another repository runs (its scripts get no secrets)
  bool drafts = false;     // a draft runs before it is marked ready
};

struct Trigger {
  Integration integration = Integration::github;
  std::string repository;
  std::string branch;  // empty when pull_request is set
  std::optional<PullRequestTrigger> pull_request;
  bool require_status = true;
  std::vector<std::string> paths;
};

// What a notification is sent for: a job's state, or what its end means.
enum class NotifyEvent { started, succeeded, failed, cancelled, interrupted, recovered, waiting_promote };
const char* to_string(NotifyEvent e);
std::optional<NotifyEvent> parse_notify_event(std::string_view name);

// Where a job's events go: a Slack incoming webhook, or a signed webhook.
// Secrets (Slack's URL, the signing secret) are variables of the runner's
// environment, named here and read only when a notification is sent.
struct NotifyTarget {
  std::vector<NotifyEvent> on;
  bool slack = false;
  std::string url_env;     // slack: the variable holding its URL
  std::string url;         // webhook
  std::string secret_env;  // webhook: the variable holding its signing secret
  Position pos;

  bool wants(NotifyEvent e) const;
};

struct Workflow {
  std::string name;
  Trigger trigger;
  std::vector<Task> tasks;
  Concurrency concurrency = Concurrency::queue;
  std::optional<std::vector<NotifyTarget>> notify;  // set: replaces the file's notifications
  Position pos;
};

struct Config {
  int version = 1;
  std::vector<Workflow> workflows;  // in file order
  std::vector<NotifyTarget> notifications;  // for every workflow without notify

  const Workflow* find(const std::string& name) const;
  const std::vector<NotifyTarget>& targets_for(const Workflow& w) const {
    return w.notify ? *w.notify : notifications;
  }
};

}  // namespace cwf::config
