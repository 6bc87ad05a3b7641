#pragma once

// Posts the jobs' states to their commits on the forge, off the jobs' threads:
// a queue per (forge, repository, commit, context) where a newer state
// replaces one not yet sent, two workers over the forge's few kept-alive
// connections, and re-posting with backoff while the forge is down.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "forge/forge.hh"
#include "store/job_store.hh"

namespace cwf::runner {

// What JOB's state says on its commit: context convox-workflows/<workflow>,
// its page under PUBLIC_URL (if any) as the target.
forge::StatusPost post_for(const store::JobRecord& job, const std::string& public_url);

class StatusReporter {
 public:
  // FORGES: by integration name, only those the runner may post to.
  StatusReporter(std::map<std::string, forge::ForgeApi*> forges, std::string public_url);
  ~StatusReporter();  // stop()

  // JOB's current state, if its forge is one of ours.
  void job(const store::JobRecord& job);
  void post(const std::string& integration, const std::string& repository, const std::string& sha,
            forge::StatusPost post);
  // Waits up to MAX for what can be posted now to go out (shutdown).
  void flush(std::chrono::milliseconds max);
  void stop();

  struct Counts {
    std::uint64_t posted = 0, retried = 0, dropped = 0;
  };
  std::map<std::string, Counts> counts() const;  // by forge
  std::size_t pending() const;

 private:
  using Key = std::tuple<std::string, std::string, std::string, std::string>;  // forge, repository, sha, context
  using Clock = std::chrono::steady_clock;
  struct Entry {
    forge::StatusPost post;
    std::optional<forge::StatusPost> next;  // arrived while POST was being sent
    Clock::time_point due;
    int attempts = 0;
    bool sending = false;
  };
  void work();

  std::map<std::string, forge::ForgeApi*> forges_;
  std::string public_url_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::map<Key, Entry> queue_;
  std::map<std::string, Counts> counts_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace cwf::runner
