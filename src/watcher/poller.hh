#pragma once

// Polls a set of remotes on worker threads. Each remote has its own schedule:
// every interval when healthy, with exponential backoff and jitter after
// errors. A remote is never polled twice at once, and a slow or dead one holds
// only the worker it is on, never the others: when a remote is overdue
// because every worker is busy, another worker starts, up to the limit. Two
// suffice for healthy remotes (a worker costs ~0.3 MB of RSS once libgit2 has
// run on it, so they are not started in advance).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace cwf::watcher {

using SteadyClock = std::chrono::steady_clock;

struct RemoteStatus {
  std::string url;
  std::int64_t polls = 0, errors = 0;  // since the start
  std::int64_t failures = 0;            // errors in a row
  std::string last_error;
  std::int64_t last_poll_at = 0, last_ok_at = 0;  // ms since the epoch
  std::int64_t last_duration_ms = 0;
  std::int64_t next_poll_at = 0;  // ms since the epoch; 0 while in flight
  bool in_flight = false;
  std::int64_t in_flight_since = 0;  // ms since the epoch, while in flight
};

// The delay before the next poll after FAILURES errors in a row: INTERVAL
// doubled per failure up to MAX, times a random factor in [0.8, 1.2] so
// remotes that failed together do not retry together.
std::chrono::milliseconds backoff_delay(std::chrono::milliseconds interval, std::int64_t failures,
                                        std::chrono::milliseconds max, double jitter01);

class Poller {
 public:
  // Returns the error, if any. Called on a worker thread.
  using PollFn = std::function<std::optional<std::string>(const std::string& url)>;

  Poller(PollFn poll, std::chrono::milliseconds interval, int max_workers);
  ~Poller();  // stop()

  // Remotes added are polled at once; removed ones are dropped (a poll in
  // flight finishes, its result is kept by the caller's callback).
  void set_remotes(const std::set<std::string>& urls);
  void poll_now(const std::string& url);
  // Stops and joins the workers; polls in flight end first.
  void stop();
  // Every remote has been polled once since it was added.
  bool first_cycle_done() const;

  std::vector<RemoteStatus> status() const;

 private:
  struct Entry {
    RemoteStatus status;
    SteadyClock::time_point due;
    bool polled_once = false;
    bool again = false;  // asked for while in flight
  };
  void work();
  void watch_workers();
  void schedule(const std::string& url, Entry& e, SteadyClock::time_point due);

  PollFn poll_;
  std::chrono::milliseconds interval_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Entry> entries_;
  std::set<std::pair<SteadyClock::time_point, std::string>> queue_;  // remotes not in flight, by due time
  std::mt19937_64 rng_{std::random_device{}()};
  bool stopping_ = false;
  std::size_t max_workers_, busy_ = 0;
  std::vector<std::thread> workers_;
  std::thread watchdog_;
};

}  // namespace cwf::watcher
