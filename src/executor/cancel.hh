#pragma once

// A cancel request that a poll loop can wait on (an eventfd), set from a
// signal handler or another thread.

#include <atomic>
#include <mutex>
#include <string>

namespace cwf::executor {

class CancelToken {
 public:
  CancelToken();
  ~CancelToken();
  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;

  void cancel();  // async-signal-safe
  // From a thread: WHY becomes the cancelled job's reason.
  void cancel(const std::string& why);
  bool cancelled() const { return cancelled_.load(); }
  std::string reason() const;  // "cancelled" unless a why was given
  int fd() const { return fd_; }  // readable once cancelled
  // Sleeps up to MS milliseconds; false if cancelled meanwhile.
  bool sleep_ms(int ms) const;

 private:
  std::atomic<bool> cancelled_{false};
  int fd_;
  mutable std::mutex mu_;
  std::string why_;
};

}  // namespace cwf::executor
