#include "runner/gate.hh"

#include "runner/scheduler.hh"
#include "util/log.hh"
#include "util/workers.hh"

namespace cwf::runner {

Gate::Gate(store::JobStore& store, std::map<std::string, forge::ForgeApi*> forges, GateOptions options, Hooks hooks)
    : store_(store), forges_(std::move(forges)), options_(options), hooks_(std::move(hooks)) {
  for (int i = 0; i < 2; ++i) workers_.emplace_back([this] { work(); });
}

Gate::~Gate() { stop(); }

void Gate::stop() { stop_workers(mu_, stopping_, changed_, workers_); }

void Gate::hold(const store::JobRecord& job) {
  {
    std::lock_guard lock(mu_);
    held_[job.id] = Held{job, 0, Clock::now(), false};
  }
  changed_.notify_all();
}

int Gate::recheck(const std::string& integration, const std::string& repository, const std::string& sha) {
  int n = 0;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, h] : held_)
      if (h.job.integration == integration && h.job.repository == repository &&
          (sha.empty() || h.job.commit_sha == sha)) {
        h.due = Clock::now();
        ++n;
      }
  }
  changed_.notify_all();
  return n;
}

std::vector<std::int64_t> Gate::supersede(const std::string& remote, const std::string& branch,
                                          const std::string& new_sha) {
  std::vector<std::int64_t> ids;
  {
    std::lock_guard lock(mu_);
    for (auto it = held_.begin(); it != held_.end();) {
      const auto& j = it->second.job;
      if (j.remote == remote && j.branch == branch && !j.pull_request && j.commit_sha != new_sha) {
        ids.push_back(it->first);
        it = held_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (std::int64_t id : ids)
    end(id, store::JobState::skipped,
        "superseded: " + branch + " moved to " + new_sha.substr(0, 12) + " while this job waited for its commit's status");
  return ids;
}

bool Gate::cancel(std::int64_t id, const std::string& why) {
  {
    std::lock_guard lock(mu_);
    if (!held_.erase(id)) return false;
  }
  end(id, store::JobState::cancelled, why);
  return true;
}

std::size_t Gate::waiting() const {
  std::lock_guard lock(mu_);
  return held_.size();
}

void Gate::end(std::int64_t id, store::JobState state, const std::string& reason) {
  record_unstarted_end(store_, id, state, reason);
  if (hooks_.ended) hooks_.ended(id);
}

void Gate::work() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    // The earliest due job whose commit nobody reads right now.
    const Held* next = nullptr;
    for (const auto& [id, h] : held_)
      if (!reading_.count(key_of(h.job)) && (!next || h.due < next->due)) next = &h;
    if (!next) {
      changed_.wait(lock);
      continue;
    }
    if (next->due > Clock::now()) {
      changed_.wait_until(lock, next->due);
      continue;
    }
    Key key = key_of(next->job);
    reading_.insert(key);
    lock.unlock();
    forge::StatusRead read;
    auto forge = forges_.find(std::get<0>(key));
    if (forge == forges_.end()) read.error = "no commit status API for integration '" + std::get<0>(key) + "'";
    else read = forge->second->read(std::get<1>(key), std::get<2>(key));
    apply(key, read);
    lock.lock();
    reading_.erase(key);
    changed_.notify_all();
  }
}

void Gate::apply(const Key& key, const forge::StatusRead& read) {
  struct Outcome {
    store::JobRecord job;
    GateDecision decision;
    bool first_wait;
  };
  std::vector<Outcome> outcomes;
  {
    std::lock_guard lock(mu_);
    std::int64_t now = store::now_ms();
    for (auto it = held_.begin(); it != held_.end();) {
      Held& h = it->second;
      if (key_of(h.job) != key) {
        ++it;
        continue;
      }
      GateDecision d = decide(read, std::chrono::milliseconds(now - h.job.created_at), ++h.checks, options_);
      bool first_wait = d.action == GateDecision::Action::wait && !h.told_waiting;
      if (d.action == GateDecision::Action::wait) {
        h.due = Clock::now() + d.next_check;
        h.told_waiting = true;
        if (d.reason != h.job.reason) {
          h.job.reason = d.reason;
          outcomes.push_back({h.job, d, first_wait});
        }
        ++it;
      } else {
        outcomes.push_back({h.job, d, false});
        it = held_.erase(it);
      }
    }
  }
  for (auto& o : outcomes) {
    const std::string id = std::to_string(o.job.id);
    switch (o.decision.action) {
      case GateDecision::Action::run:
        log::info("commit status allows the job", {{"job", id}, {"commit", o.job.commit_sha.substr(0, 12)},
                                                    {"note", o.decision.reason}});
        try {
          store_.set_job_state(o.job.id, store::JobState::queued, "", store::now_ms());
        } catch (const store::StoreError& e) {
          log::error("cannot record a job's state", {{"job", id}, {"error", e.what()}});
        }
        o.job.state = store::JobState::queued;
        o.job.reason.clear();
        if (hooks_.passed) hooks_.passed(o.job);
        break;
      case GateDecision::Action::skip:
        end(o.job.id, store::JobState::skipped, o.decision.reason);
        break;
      case GateDecision::Action::wait:
        log::info("job waiting", {{"job", id}, {"reason", o.decision.reason}});
        try {
          store_.set_job_state(o.job.id, store::JobState::waiting, o.decision.reason, store::now_ms());
        } catch (const store::StoreError& e) {
          log::error("cannot record a job's state", {{"job", id}, {"error", e.what()}});
        }
        if (o.first_wait && hooks_.waiting) hooks_.waiting(o.job);
        break;
    }
  }
}

}  // namespace cwf::runner
