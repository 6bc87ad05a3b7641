#pragma once

// Sends the store's queued notifications: a few worker threads of their own
// (a slow receiver never holds a job, the poller or the HTTP side), each
// claiming the next due one, sending it, and recording the outcome at once:
// delivered on a 2xx; a 5xx, a 429, a timeout or no connection is tried again
// with exponential backoff; any other reply is final. A restart resumes the
// queue, since it lives in the store.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "notify/hook.hh"
#include "notify/sender.hh"
#include "store/job_store.hh"

namespace cwf::notify {

struct NotifierOptions {
  int workers = 4;
  std::chrono::milliseconds timeout{10000};   // connecting, and each read or write
  std::chrono::milliseconds deadline{30000};  // one delivery in all
  std::chrono::milliseconds first_retry{10000}, max_retry{3600000};
  std::chrono::milliseconds give_up_after{86400000};  // after its event: then it fails for good
  std::vector<std::string> masked;  // values no error kept may show
};

// The backoff before attempt ATTEMPTS + 1: FIRST doubling, at most MAX, at
// least what the receiver asked for (RETRY_AFTER); JITTER in [0, 1) spreads
// it by up to a tenth either way.
std::chrono::milliseconds retry_delay(int attempts, std::chrono::milliseconds first, std::chrono::milliseconds max,
                                      std::chrono::milliseconds retry_after, double jitter);

// What an attempt's result means: delivered, tried again, or final.
store::NotificationAttempt::Outcome classify(const SendResult& r);

class Notifier {
 public:
  Notifier(store::JobStore& store, Sender& sender, NotifierOptions options, EnvLookup env);
  ~Notifier();  // stop(0)

  void start();
  // Something was queued: look now (safe to call with the store's lock held).
  void wake();
  // Waits up to MAX for what is due now to be sent (shutdown, after the last jobs ended).
  void flush(std::chrono::milliseconds max);
  // Deliveries in flight get GRACE, then are cut (and tried again after a restart).
  void stop(std::chrono::milliseconds grace);

  struct Counts {
    std::uint64_t delivered = 0, retried = 0, failed = 0;
  };
  std::map<std::string, Counts> counts() const;  // by kind: slack, webhook

 private:
  void work();
  // Sends N and records its outcome; returns false when the store refused it.
  void deliver(const store::Notification& n);

  store::JobStore& store_;
  Sender& sender_;
  NotifierOptions options_;
  EnvLookup env_;
  std::mutex claim_mu_;  // one claim at a time: no notification is sent twice at once
  std::vector<std::int64_t> busy_;
  std::mutex wake_mu_;  // never held while calling the store: the hook wakes us from inside its lock
  std::condition_variable woken_;
  std::uint64_t wakes_ = 0;  // every wake() counts: none is lost between two waits
  bool stopping_ = false;
  mutable std::mutex counts_mu_;
  std::map<std::string, Counts> counts_;
  std::atomic<int> sending_{0};
  std::vector<std::thread> workers_;
};

}  // namespace cwf::notify
