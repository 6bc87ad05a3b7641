#include "server/worker_pool.hh"

namespace cwf::server {

WorkerPool::WorkerPool(std::size_t max_threads, std::size_t max_queued, std::chrono::milliseconds idle_exit)
    : max_threads_(max_threads), max_queued_(max_queued), idle_exit_(idle_exit) {}

WorkerPool::~WorkerPool() { stop(); }

bool WorkerPool::submit(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  if (stopping_) return false;
  join_finished();
  // Idle threads take queued work first: only start one when none is free.
  if (idle_ <= queue_.size()) {
    if (threads_.size() < max_threads_) {
      std::size_t id = next_id_++;
      threads_.emplace(id, std::thread([this, id, f = std::move(fn)]() mutable {
        try {
          f();
        } catch (...) {
        }
        work(id);
      }));
      return true;
    }
    if (queue_.size() >= max_queued_) return false;
  }
  queue_.push_back(std::move(fn));
  cv_.notify_one();
  return true;
}

void WorkerPool::work(std::size_t id) {
  std::unique_lock lock(mu_);
  for (;;) {
    ++idle_;
    bool woke = cv_.wait_for(lock, idle_exit_, [this] { return stopping_ || !queue_.empty(); });
    --idle_;
    if (!woke || queue_.empty()) break;  // idle too long, or stopping with nothing left
    auto fn = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    try {
      fn();
    } catch (...) {
    }
    lock.lock();
  }
  // A thread can't join itself: the next submit() or stop() does.
  auto it = threads_.find(id);
  finished_.push_back(std::move(it->second));
  threads_.erase(it);
}

void WorkerPool::join_finished() {
  for (auto& t : finished_)
    if (t.joinable()) t.join();  // it has left work(): only its return is left
  finished_.clear();
}

void WorkerPool::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (;;) {
    std::unique_lock lock(mu_);
    join_finished();
    if (threads_.empty()) break;
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::size_t WorkerPool::threads() const {
  std::lock_guard lock(mu_);
  return threads_.size();
}

}  // namespace cwf::server
