#pragma once

// A cancel request that a poll loop can wait on (an eventfd), set from a
// signal handler or another thread.

#include <atomic>

namespace cwf::executor {

class CancelToken {
 public:
  CancelToken();
  ~CancelToken();
  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;

  void cancel();  // async-signal-safe
  bool cancelled() const { return cancelled_.load(); }
  int fd() const { return fd_; }  // readable once cancelled
  // Sleeps up to MS milliseconds; false if cancelled meanwhile.
  bool sleep_ms(int ms) const;

 private:
  std::atomic<bool> cancelled_{false};
  int fd_;
};

}  // namespace cwf::executor
