#pragma once

// The commit-status gate: a pushed job of a workflow with require_status waits
// (`waiting`, its reason naming what it waits for) until its commit's statuses
// on the forge allow it, then goes to the scheduler; failing statuses skip it.
// Readings come from two worker threads, at once for a new job, then with
// backoff (capped at 30 s), or sooner when a forge's status webhook names the
// commit. A forge that does not answer only delays: the job waits.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "forge/forge.hh"
#include "runner/gating.hh"
#include "store/job_store.hh"

namespace cwf::runner {

class Gate {
 public:
  struct Hooks {
    std::function<void(const store::JobRecord&)> passed;   // now queued: submit it
    std::function<void(const store::JobRecord&)> waiting;  // first reading says wait
    std::function<void(std::int64_t)> ended;               // skipped
  };
  // FORGES: by integration name ("github", "gitlab"); a job of another gets
  // "no forge" as its reading and waits out --status-timeout.
  Gate(store::JobStore& store, std::map<std::string, forge::ForgeApi*> forges, GateOptions options, Hooks hooks);
  ~Gate();  // stop()

  // JOB (in state waiting) is read at once.
  void hold(const store::JobRecord& job);
  // A status webhook named this commit (SHA empty: any of REPOSITORY's):
  // read its waiting jobs now. Returns how many jobs wait on it.
  int recheck(const std::string& integration, const std::string& repository, const std::string& sha);
  // REMOTE's BRANCH moved to NEW_SHA: the jobs waiting on its older commits
  // are skipped (the gate is about the latest commit); a pull request's jobs
  // are not (the runner supersedes those by PR). Returns their ids.
  std::vector<std::int64_t> supersede(const std::string& remote, const std::string& branch, const std::string& new_sha);
  // A waiting job ends cancelled; false when the gate does not hold it.
  bool cancel(std::int64_t id, const std::string& why);
  std::size_t waiting() const;
  void stop();

 private:
  using Key = std::tuple<std::string, std::string, std::string>;  // integration, repository, sha
  using Clock = std::chrono::steady_clock;
  struct Held {
    store::JobRecord job;
    int checks = 0;
    Clock::time_point due;
    bool told_waiting = false;
  };
  static Key key_of(const store::JobRecord& j) { return {j.integration, j.repository, j.commit_sha}; }
  void work();
  void apply(const Key& key, const forge::StatusRead& read);
  void end(std::int64_t id, store::JobState state, const std::string& reason);

  store::JobStore& store_;
  std::map<std::string, forge::ForgeApi*> forges_;
  GateOptions options_;
  Hooks hooks_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::int64_t, Held> held_;
  std::set<Key> reading_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace cwf::runner
