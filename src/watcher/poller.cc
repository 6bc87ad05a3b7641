#include "watcher/poller.hh"

#include <algorithm>
#include <cmath>

#include "store/job_store.hh"

namespace cwf::watcher {

using std::chrono::milliseconds;

milliseconds backoff_delay(milliseconds interval, std::int64_t failures, milliseconds max, double jitter01) {
  double base = static_cast<double>(std::max<milliseconds::rep>(interval.count(), 1000));
  double factor = std::pow(2.0, static_cast<double>(std::min<std::int64_t>(std::max<std::int64_t>(failures - 1, 0), 20)));
  double delay = std::min(base * factor, static_cast<double>(max.count()));
  return milliseconds(static_cast<milliseconds::rep>(delay * (0.8 + 0.4 * jitter01)));
}

Poller::Poller(PollFn poll, milliseconds interval, int max_workers)
    : poll_(std::move(poll)), interval_(interval), max_workers_(static_cast<std::size_t>(std::max(1, max_workers))) {
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < std::min<std::size_t>(2, max_workers_); ++i) workers_.emplace_back([this] { work(); });
  watchdog_ = std::thread([this] { watch_workers(); });
}

void Poller::watch_workers() {
  constexpr milliseconds kOverdue{250};
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, kOverdue);
    if (stopping_ || busy_ < workers_.size() || workers_.size() >= max_workers_ || queue_.empty()) continue;
    if (queue_.begin()->first + kOverdue < SteadyClock::now()) workers_.emplace_back([this] { work(); });
  }
}

Poller::~Poller() { stop(); }

void Poller::stop() {
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    workers.swap(workers_);  // none is added once stopping_ is set
  }
  cv_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
  for (auto& t : workers)
    if (t.joinable()) t.join();
}

void Poller::schedule(const std::string& url, Entry& e, SteadyClock::time_point due) {
  e.due = due;
  e.status.next_poll_at =
      store::now_ms() + std::chrono::duration_cast<milliseconds>(due - SteadyClock::now()).count();
  queue_.emplace(due, url);
}

void Poller::set_remotes(const std::set<std::string>& urls) {
  std::lock_guard lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (urls.count(it->first)) {
      ++it;
      continue;
    }
    if (!it->second.status.in_flight) queue_.erase({it->second.due, it->first});
    it = entries_.erase(it);
  }
  auto now = SteadyClock::now();
  for (const auto& url : urls) {
    if (entries_.count(url)) continue;
    Entry& e = entries_[url];
    e.status.url = url;
    schedule(url, e, now);
  }
  cv_.notify_all();
}

void Poller::poll_now(const std::string& url) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(url);
  if (it == entries_.end()) return;
  if (it->second.status.in_flight) {  // the push may have landed after this poll listed the refs
    it->second.again = true;
    return;
  }
  queue_.erase({it->second.due, url});
  schedule(url, it->second, SteadyClock::now());
  cv_.notify_all();  // notify_one could wake the watchdog instead of a worker
}

bool Poller::first_cycle_done() const {
  std::lock_guard lock(mu_);
  return std::all_of(entries_.begin(), entries_.end(), [](const auto& kv) { return kv.second.polled_once; });
}

void Poller::work() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (queue_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto [due, url] = *queue_.begin();
    if (due > SteadyClock::now()) {
      cv_.wait_until(lock, due);
      continue;
    }
    queue_.erase(queue_.begin());
    std::int64_t started_ms = store::now_ms();
    entries_[url].status.in_flight = true;
    entries_[url].status.in_flight_since = started_ms;
    ++busy_;
    lock.unlock();
    auto started = SteadyClock::now();
    std::optional<std::string> error = poll_(url);
    auto took = std::chrono::duration_cast<milliseconds>(SteadyClock::now() - started);
    lock.lock();
    --busy_;
    auto it = entries_.find(url);
    if (it == entries_.end()) continue;  // removed while in flight
    Entry& e = it->second;
    e.status.in_flight = false;
    e.status.in_flight_since = 0;
    e.status.polls++;
    e.status.last_poll_at = started_ms;
    e.status.last_duration_ms = took.count();
    e.polled_once = true;
    milliseconds delay = interval_;
    if (error) {
      e.status.failures++;
      e.status.errors++;
      e.status.last_error = *error;
      delay = backoff_delay(interval_, e.status.failures, milliseconds(15 * 60 * 1000),
                            std::uniform_real_distribution<double>(0, 1)(rng_));
    } else {
      e.status.failures = 0;
      e.status.last_error.clear();
      e.status.last_ok_at = started_ms;
    }
    schedule(url, e, e.again ? SteadyClock::now() : SteadyClock::now() + delay);
    e.again = false;
  }
}

std::vector<RemoteStatus> Poller::status() const {
  std::lock_guard lock(mu_);
  std::vector<RemoteStatus> out;
  for (const auto& [url, e] : entries_) {
    RemoteStatus s = e.status;
    if (s.in_flight) s.next_poll_at = 0;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace cwf::watcher
