#pragma once

// Worker threads that loop on a condition variable until their owner stops
// them: the gate's and the status reporter's.

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace cwf {

// Sets STOPPING under MU, wakes every waiter on CV and joins THREADS.
inline void stop_workers(std::mutex& mu, bool& stopping, std::condition_variable& cv,
                         std::vector<std::thread>& threads) {
  {
    std::lock_guard lock(mu);
    stopping = true;
  }
  cv.notify_all();
  for (auto& t : threads)
    if (t.joinable()) t.join();
  threads.clear();
}

}  // namespace cwf
