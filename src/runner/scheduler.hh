#pragma once

// Starts queued jobs on their own threads as the rules in scheduling.hh allow,
// cancels what cancel-previous supersedes, and drains on shutdown.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "config/model.hh"
#include "executor/cancel.hh"
#include "runner/scheduling.hh"
#include "store/job_store.hh"

namespace cwf::runner {

using ConfigPtr = std::shared_ptr<const config::Config>;
using WorkflowPtr = std::shared_ptr<const config::Workflow>;

// Records (and logs) that job ID ended in STATE without starting.
void record_unstarted_end(store::JobStore& store, std::int64_t id, store::JobState state, const std::string& reason);

class Scheduler {
 public:
  // Runs one job to its final state, on the job's thread.
  using RunJob = std::function<void(const store::JobRecord& job, const config::Workflow& workflow,
                                    const executor::CancelToken& cancel)>;

  // RESOLVE: the workflow a job runs, as it is now; null when it is gone.
  // ENDED: a job ended without starting (cancelled, skipped).
  Scheduler(store::JobStore& store, std::function<WorkflowPtr(const store::JobRecord&)> resolve, RunJob run,
            int max_parallel, std::function<void(std::int64_t)> ended = {});
  ~Scheduler();  // cancels and joins whatever still runs

  // A job just created for a push: its workflow's concurrency applies.
  void submit(const store::JobRecord& job);
  // A job queued before a restart: it waits its turn, nothing else.
  void resume(const store::JobRecord& job);

  enum class Cancel { not_here, cancelling, cancelled };
  // A running job is asked to stop (it ends `cancelled` shortly); a queued one
  // ends `cancelled` now, with WHY.
  Cancel cancel(std::int64_t id, const std::string& why);

  // Shutdown: no job starts any more. Waits up to GRACE for the running jobs,
  // then cancels them and waits for their end. Queued jobs stay queued.
  void drain(std::chrono::milliseconds grace);
  // Nothing queued or running (for `run --once`).
  bool idle() const;

  std::size_t running() const;
  std::size_t queued() const;

 private:
  struct Running {
    Slot slot;
    std::unique_ptr<executor::CancelToken> cancel;
    std::thread thread;
  };
  struct Queued {
    Slot slot;
    store::JobRecord job;
  };
  void enqueue(const store::JobRecord& job, bool admit_it);
  void start_ready();  // with mu_ held
  void finished(std::int64_t id);
  void end_unstarted(std::int64_t id, store::JobState state, const std::string& reason);
  void join_finished();

  store::JobStore& store_;
  std::function<WorkflowPtr(const store::JobRecord&)> resolve_;
  RunJob run_;
  int max_parallel_;
  std::function<void(std::int64_t)> ended_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::vector<Queued> queued_;
  std::map<std::int64_t, Running> running_;
  std::vector<std::thread> finished_;
  bool draining_ = false;
};

}  // namespace cwf::runner
