#pragma once

// Runs a workflow's tasks in order as one job: a failing task halts the rest
// (unless it may fail), every state change is recorded in the store, and
// the output goes to the job's log.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "config/model.hh"
#include "config/racks.hh"
#include "executor/cancel.hh"
#include "util/masker.hh"
#include "executor/process.hh"
#include "store/job_store.hh"

namespace cwf::executor {

struct ExecutorOptions {
  std::string convox_bin = "convox";
  std::vector<std::string> base_env;  // the runner's environment; task_env.hh decides what each task gets of it
  std::vector<std::string> secret_env;  // names whose values are masked, besides *_TOKEN and the like
  std::vector<std::string> runner_secrets;  // values masked in every job log: API token, webhook secrets...
  // --racks-file: each build, promote and run task gets RACK_URL for its rack.
  std::shared_ptr<const config::Racks> racks;
  std::uint64_t log_cap = 64u << 20;
  // --task-backend: where script tasks with an image run (local: none may have one).
  std::string task_backend = "local";
  std::chrono::milliseconds grace{10000};  // SIGTERM to SIGKILL
  std::ostream* echo = nullptr;            // stream the log here too
};

struct JobSpec {
  const config::Workflow* workflow = nullptr;
  std::string repository;  // GIT_REPOSITORY
  std::string branch, sha;
  std::string trigger = "exec";
  std::string remote;  // where the commit came from (the runner's jobs)
  std::optional<int> pull_request;  // the PR/MR whose head it is (PULL_REQUEST)
  bool untrusted = false;           // a fork's PR: script tasks get no secrets
};

// The job SPEC makes: its workflow's tasks pending, its forge recorded.
store::NewJob new_job(const JobSpec& spec);

class Executor {
 public:
  Executor(store::JobStore& store, TaskLauncher& launcher, ExecutorOptions options);

  // Records a queued job with its tasks pending.
  std::int64_t create(const JobSpec& spec);
  // Runs the job in WORKSPACE (a checkout of spec.sha); returns its final state.
  store::JobState run(std::int64_t job_id, const JobSpec& spec, const std::filesystem::path& workspace,
                      const CancelToken& cancel);
  // Ends a job that could not start (no workspace, say), with the reason.
  void fail_before_start(std::int64_t job_id, const JobSpec& spec, const std::string& reason);

 private:
  std::optional<std::string> rack_conflict(const JobSpec& spec) const;

  store::JobStore& store_;
  TaskLauncher& launcher_;
  ExecutorOptions options_;
};

}  // namespace cwf::executor
