#include "runner/scheduler.hh"

#include <algorithm>

#include "util/log.hh"

namespace cwf::runner {

Scheduler::Scheduler(store::JobStore& store, std::function<WorkflowPtr(const store::JobRecord&)> resolve, RunJob run,
                     int max_parallel, std::function<void(std::int64_t)> ended)
    : store_(store),
      resolve_(std::move(resolve)),
      run_(std::move(run)),
      max_parallel_(std::max(1, max_parallel)),
      ended_(std::move(ended)) {}

Scheduler::~Scheduler() {
  drain(std::chrono::milliseconds(0));
  join_finished();
}

void record_unstarted_end(store::JobStore& store, std::int64_t id, store::JobState state, const std::string& reason) {
  try {
    store.end_unstarted(id, state, reason, store::now_ms());
  } catch (const store::StoreError& e) {
    log::error("cannot record the end of a job", {{"job", std::to_string(id)}, {"error", e.what()}});
  }
  log::info(std::string("job ") + store::to_string(state), {{"job", std::to_string(id)}, {"reason", reason}});
}

void Scheduler::end_unstarted(std::int64_t id, store::JobState state, const std::string& reason) {
  record_unstarted_end(store_, id, state, reason);
  if (ended_) ended_(id);
}

void Scheduler::submit(const store::JobRecord& job) { enqueue(job, true); }
void Scheduler::resume(const store::JobRecord& job) { enqueue(job, false); }

void Scheduler::enqueue(const store::JobRecord& job, bool admit_it) {
  join_finished();
  WorkflowPtr wf = resolve_(job);
  std::lock_guard lock(mu_);
  if (!wf) {
    end_unstarted(job.id, store::JobState::cancelled, "the workflow is no longer in the workflows file");
    return;
  }
  std::string turn = job.pull_request ? job.workflow + "#" + std::to_string(*job.pull_request) : job.workflow;
  Slot slot{job.id, turn, apps_of(*wf, job.pull_request)};
  if (admit_it) {
    std::vector<Slot> queued, running;
    for (const auto& q : queued_) queued.push_back(q.slot);
    for (const auto& [id, r] : running_) running.push_back(r.slot);
    Admission a = admit(slot, wf->concurrency, queued, running);
    if (a.skip) {
      end_unstarted(job.id, store::JobState::skipped, a.reason);
      return;
    }
    for (std::int64_t id : a.cancel_running) {
      log::info("cancelling the previous job (concurrency: cancel-previous)",
                {{"job", std::to_string(id)}, {"superseded_by", std::to_string(job.id)}});
      running_.at(id).cancel->cancel("superseded by job " + std::to_string(job.id) + " (concurrency: cancel-previous)");
    }
    for (std::int64_t id : a.cancel_queued) {
      queued_.erase(std::remove_if(queued_.begin(), queued_.end(), [&](const Queued& q) { return q.slot.job == id; }),
                    queued_.end());
      end_unstarted(id, store::JobState::cancelled,
                    "superseded by job " + std::to_string(job.id) + " (concurrency: cancel-previous)");
    }
  }
  queued_.push_back({slot, job});
  start_ready();
}

Scheduler::Cancel Scheduler::cancel(std::int64_t id, const std::string& why) {
  std::lock_guard lock(mu_);
  if (auto it = running_.find(id); it != running_.end()) {
    log::info("cancelling a job", {{"job", std::to_string(id)}, {"why", why}});
    it->second.cancel->cancel(why);
    return Cancel::cancelling;
  }
  auto it = std::find_if(queued_.begin(), queued_.end(), [&](const Queued& q) { return q.slot.job == id; });
  if (it == queued_.end()) return Cancel::not_here;
  queued_.erase(it);
  end_unstarted(id, store::JobState::cancelled, why);
  start_ready();  // it may have held an app or its workflow's turn
  return Cancel::cancelled;
}

void Scheduler::start_ready() {
  if (draining_) return;
  std::vector<Slot> queued, running;
  for (const auto& q : queued_) queued.push_back(q.slot);
  for (const auto& [id, r] : running_) running.push_back(r.slot);
  for (std::int64_t id : startable(queued, running, max_parallel_)) {
    auto it = std::find_if(queued_.begin(), queued_.end(), [&](const Queued& q) { return q.slot.job == id; });
    Queued q = std::move(*it);
    queued_.erase(it);
    WorkflowPtr wf = resolve_(q.job);
    if (!wf) {
      end_unstarted(id, store::JobState::cancelled, "the workflow was removed before the job started");
      continue;
    }
    Running& r = running_[id];
    r.slot = q.slot;
    r.cancel = std::make_unique<executor::CancelToken>();
    const executor::CancelToken* cancel = r.cancel.get();
    r.thread = std::thread([this, job = std::move(q.job), wf, cancel] {
      try {
        run_(job, *wf, *cancel);
      } catch (const std::exception& e) {
        log::error("job failed to run", {{"job", std::to_string(job.id)}, {"error", e.what()}});
      }
      finished(job.id);
    });
  }
  changed_.notify_all();
}

void Scheduler::finished(std::int64_t id) {
  std::lock_guard lock(mu_);
  auto it = running_.find(id);
  finished_.push_back(std::move(it->second.thread));
  running_.erase(it);
  start_ready();
  changed_.notify_all();
}

void Scheduler::join_finished() {
  std::vector<std::thread> done;
  {
    std::lock_guard lock(mu_);
    done.swap(finished_);
  }
  for (auto& t : done)
    if (t.joinable()) t.join();
}

void Scheduler::drain(std::chrono::milliseconds grace) {
  std::unique_lock lock(mu_);
  draining_ = true;
  if (!running_.empty() && grace.count() > 0) {
    log::info("waiting for running jobs", {{"jobs", std::to_string(running_.size())},
                                           {"grace_ms", std::to_string(grace.count())}});
    changed_.wait_for(lock, grace, [&] { return running_.empty(); });
  }
  if (!running_.empty()) {
    log::warn("cancelling running jobs", {{"jobs", std::to_string(running_.size())}});
    for (auto& [id, r] : running_) r.cancel->cancel();
  }
  changed_.wait(lock, [&] { return running_.empty(); });
  lock.unlock();
  join_finished();
}

bool Scheduler::idle() const {
  std::lock_guard lock(mu_);
  return running_.empty() && queued_.empty();
}

std::size_t Scheduler::running() const {
  std::lock_guard lock(mu_);
  return running_.size();
}

std::size_t Scheduler::queued() const {
  std::lock_guard lock(mu_);
  return queued_.size();
}

}  // namespace cwf::runner
