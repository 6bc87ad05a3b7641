#pragma once

// --task-backend kubernetes: a script task with an image is a batch/v1 Job
// in the runner's namespace, every other process a local one. The pod's init
// container fetches the checkout from the runner (CheckoutServer), the task's
// environment travels in a Secret (never in the pod spec), its output is the
// pod's log stream and its exit code the container's. One watch of the
// runner's pods feeds every task; each task has a thread that follows its
// pod and writes what the executor reads.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "executor/checkout_server.hh"
#include "executor/process.hh"
#include "kube/kube_client.hh"
#include "kube/task_job.hh"

namespace cwf::executor {

struct KubernetesOptions {
  std::string namespace_;
  std::string runner_id;                     // the runner label: this runner's Jobs, no other's
  std::string init_image = "busybox:1.36";   // has sh, wget and tar
  std::string checkout_url;                  // how pods reach the CheckoutServer: http://host:port
  std::string service_account;               // the pods'; empty: the namespace's default
  std::chrono::seconds pending_timeout{300};  // a pod that can't be scheduled or pull its image fails then
  std::chrono::seconds ttl{600};             // ttlSecondsAfterFinished
  std::chrono::milliseconds grace{10000};    // terminationGracePeriodSeconds
};

class KubernetesLauncher : public TaskLauncher {
 public:
  KubernetesLauncher(std::shared_ptr<kube::KubeClient> api, std::shared_ptr<CheckoutServer> checkouts,
                     KubernetesOptions options);
  ~KubernetesLauncher() override;
  Result<std::unique_ptr<TaskProcess>> start(const ProcessSpec& spec) override;
  Result<std::unique_ptr<TaskProcess>> start_pipeline(const std::vector<ProcessSpec>& stages) override;
  // The Jobs and Secrets a runner that died left: deleted (their pods with
  // them). Returns the jobs they were of.
  Result<std::vector<std::int64_t>> remove_leftovers() override;

  // The TaskJob for SPEC named NAME, fetching from CHECKOUT_URL. For tests.
  kube::TaskJob task_job(const ProcessSpec& spec, const std::string& name, const std::string& checkout_url) const;
  std::size_t following() const;  // tasks whose pods are watched

  struct Task;

 private:
  void watch_loop();
  bool watch_once(std::string& resource_version);
  void dispatch(const kube::PodState& pod, bool gone);

  std::shared_ptr<kube::KubeClient> api_;
  std::shared_ptr<CheckoutServer> checkouts_;
  KubernetesOptions options_;
  LocalLauncher local_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Task>> tasks_;  // by Job name
  std::atomic<bool> stopping_{false};
  kube::KubeStream watch_stream_;
  std::thread watcher_;
};

// A log line of the API's timestamps=true form, split: "2024-01-02T03:04:05.123Z text" → stamp, text.
// False when it has no stamp.
bool split_stamp(std::string_view line, std::string_view& stamp, std::string_view& text);
// Whether stamp A is later than stamp B (RFC 3339, UTC, fractions of any length).
bool stamp_after(std::string_view a, std::string_view b);

}  // namespace cwf::executor
