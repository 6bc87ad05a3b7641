#pragma once

// What a task is to the Kubernetes API: a batch/v1 Job (one pod, never
// retried: a failed task is the job's to report, not the cluster's to
// repeat), the Secret its environment travels in, and what the pods' status
// says about it. Pure functions of their arguments.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cwf::kube {

inline constexpr const char* kWorkspace = "/workspace";
inline constexpr const char* kTaskContainer = "task";
inline constexpr const char* kCheckoutContainer = "checkout";
// Labels: which runner, job and task a Job (and its pod and Secret) is of.
inline constexpr const char* kRunnerLabel = "convox-workflows/runner";
inline constexpr const char* kJobLabel = "convox-workflows/job";
inline constexpr const char* kTaskLabel = "convox-workflows/task";
inline constexpr const char* kNameLabel = "convox-workflows/name";

struct TaskJob {
  std::string name, namespace_, runner;
  std::int64_t job = 0;
  int task = 0;
  std::string image, cpu, memory;  // cpu, memory: empty, or as the workflows file has them
  std::vector<std::string> argv;
  std::string workdir;              // under kWorkspace
  std::string init_image;           // fetches the checkout
  std::string checkout_url;         // one-time
  std::int64_t active_deadline_s = 3600, grace_s = 10, ttl_s = 600;
  std::string service_account;      // empty: the namespace's default
  bool env_secret = false;          // the Secret NAME holds the task's environment
};

std::string job_json(const TaskJob& t);
// The Secret NAME with ENV ("NAME=value" each) as its keys.
std::string secret_json(const TaskJob& t, const std::vector<std::string>& env);
// The label selector of a runner's objects (for lists and watches).
std::string runner_selector(const std::string& runner);

// A pod of a task's Job, as its status tells.
struct PodState {
  std::string name, task_name;  // the pod's; the Job's (its kNameLabel)
  std::string phase;            // Pending, Running, Succeeded, Failed, Unknown
  bool deleting = false;
  bool started = false;         // the task's container runs or ran: its log can be read
  std::optional<int> exit_code;  // the task's container ended
  std::string ended_reason;     // its terminated reason (Error, OOMKilled, DeadlineExceeded ...)
  std::optional<int> checkout_exit;  // the init container ended
  std::string waiting_reason, waiting_message;  // of the container that waits (ErrImagePull ...)
  std::string unschedulable;    // the PodScheduled condition's message, when it is False
  std::string pod_reason, pod_message;  // status.reason / message (DeadlineExceeded, Evicted)
};

// Waiting reasons that mean the pod will not start without someone fixing
// something (the image's name, the registry's credentials, the config).
bool stuck_reason(std::string_view reason);

struct PodList {
  std::string resource_version;
  std::vector<PodState> pods;
};
std::optional<PodList> parse_pod_list(std::string_view body);

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
  std::string resource_version;
  std::optional<PodState> pod;
  int error_code = 0;  // of an ERROR: 410 means start over with a list
  std::string error_message;
};
std::optional<WatchEvent> parse_watch_event(std::string_view line);

// The names and job labels of the Jobs (or Secrets) of a list reply.
std::vector<std::pair<std::string, std::string>> names_and_jobs(std::string_view body);

}  // namespace cwf::kube
