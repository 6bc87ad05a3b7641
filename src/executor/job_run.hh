#pragma once

// One job's run, task by task: each task type's convox command lines or
// script, and what passes from task to task (the releases and builds made).
// The Executor around it records the job.

#include <filesystem>
#include <string>
#include <vector>

#include "executor/cancel.hh"
#include "executor/convox_cli.hh"
#include "executor/executor.hh"
#include "executor/job_log.hh"
#include "executor/run_process.hh"
#include "executor/task_env.hh"

namespace cwf::executor {

store::TaskOutcome task_ended(store::TaskState state, std::string reason);

// One job's run: the state that passes from task to task.
class JobRun {
  using TaskOutcome = store::TaskOutcome;
  using TaskState = store::TaskState;
  using milliseconds = std::chrono::milliseconds;

 public:
  JobRun(const ExecutorOptions& options, TaskLauncher& launcher, store::JobStore& store, std::int64_t job_id,
         const JobSpec& spec, const std::filesystem::path& workspace, const CancelToken& cancel, JobLog& log)
      : options_(options), launcher_(launcher), store_(store), job_id_(job_id), spec_(spec),
        workspace_(workspace), runner_env_(environment_for_tasks(options.base_env)), cancel_(cancel), log_(log),
        releases_(spec.workflow->tasks.size()), builds_(spec.workflow->tasks.size()) {
    std::error_code ec;
    root_ = std::filesystem::canonical(workspace_, ec);
    if (ec) root_ = workspace_;
  }

  store::TaskOutcome run_task(int index);

 private:
  TaskOutcome script(const config::Task& t);
  TaskOutcome build(const config::Task& t);
  TaskOutcome promote(const config::Task& t, const std::string& release);
  TaskOutcome run_on_rack(const config::Task& t, const std::string& release);
  TaskOutcome copy(const config::Task& t);
  // review_app.cc: a pull request's app, created once, deployed each run;
  // and its deletion (a teardown job's one task).
  TaskOutcome review_app(const config::Task& t);
  TaskOutcome delete_review_app(const config::Task& t);
  store::ReviewApp review_app_key() const;
  // ARGV in CWD with T's environment.
  Result<ProcessSpec> process(const config::Task& t, std::vector<std::string> argv,
                              const std::filesystem::path& cwd) const;
  // Runs one process, or a pipeline, into the log.
  RunOutcome command(const std::vector<ProcessSpec>& stages, BuildOutputScanner* scanner = nullptr);
  RunOutcome command(const config::Task& t, std::vector<std::string> argv, const std::filesystem::path& cwd,
                     BuildOutputScanner* scanner = nullptr);
  TaskOutcome outcome_of(const RunOutcome& r, const config::Task& t, const std::string& what,
                         const BuildOutputScanner* scanner = nullptr) const;
  Result<std::vector<std::string>> environment(const config::Task& t) const;
  // T as the convox CLI's command line gets it: with a racks file, RACK_URL
  // picks the rack (the CLI lets it win over --rack), so no --rack.
  config::Task cli_task(const config::Task& t) const {
    config::Task copy = t;
    if (options_.racks) {
      copy.rack.clear();
      copy.from_rack.clear();
    }
    return copy;
  }
  std::string release_for(const config::Task& t, std::string& error) const;
  milliseconds time_left() const {
    return std::chrono::duration_cast<milliseconds>(deadline_ - Clock::now());
  }
  void note(const std::string& line) { log_.note(line, store::now_ms()); }

  const ExecutorOptions& options_;
  TaskLauncher& launcher_;
  store::JobStore& store_;
  std::int64_t job_id_;
  const JobSpec& spec_;
  std::filesystem::path workspace_, root_;  // root_: the workspace with symlinks resolved
  EnvMap runner_env_;
  const CancelToken& cancel_;
  JobLog& log_;
  std::vector<std::string> releases_, builds_;  // by task index: what each build (or copy) made
  std::string build_id_, release_;      // the latest build's, for BUILD_ID and RELEASE
  std::string review_app_, review_app_url_;  // REVIEW_APP, REVIEW_APP_URL once deployed
  int index_ = 0;
  Clock::time_point deadline_;
  std::int64_t log_synced_ms_ = 0;
};

}  // namespace cwf::executor
