#pragma once

// Threads that start when work arrives and end after a while without any, so
// a burst of clients costs threads only while it lasts.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cwf::server {

class WorkerPool {
 public:
  WorkerPool(std::size_t max_threads, std::size_t max_queued, std::chrono::milliseconds idle_exit);
  ~WorkerPool();  // stop()

  // False (and FN dropped) when every thread is busy and the queue is full, or
  // after stop().
  bool submit(std::function<void()> fn);
  // Runs what is queued, then joins every thread.
  void stop();
  std::size_t threads() const;

 private:
  void work(std::size_t id);
  void join_finished();  // with mu_ held

  const std::size_t max_threads_, max_queued_;
  const std::chrono::milliseconds idle_exit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::map<std::size_t, std::thread> threads_;
  std::vector<std::thread> finished_;
  std::size_t next_id_ = 0, idle_ = 0;
  bool stopping_ = false;
};

}  // namespace cwf::server
