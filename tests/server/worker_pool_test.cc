#include <catch2/catch.hpp>

#include <atomic>
#include <future>

#include "server/worker_pool.hh"

using namespace std::chrono_literals;

TEST_CASE("the pool starts threads on demand, queues up to its bound, and lets idle threads go") {
  cwf::server::WorkerPool pool(2, 1, 100ms);
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::atomic<int> done{0};
  auto blocker = [&] {
    gate.wait();
    ++done;
  };
  CHECK(pool.submit(blocker));
  CHECK(pool.submit(blocker));
  CHECK(pool.threads() == 2);
  CHECK(pool.submit(blocker));        // queued
  CHECK_FALSE(pool.submit(blocker));  // the queue is full
  release.set_value();
  for (int i = 0; i < 100 && done < 3; ++i) std::this_thread::sleep_for(10ms);
  CHECK(done == 3);
  for (int i = 0; i < 100 && pool.threads() > 0; ++i) std::this_thread::sleep_for(10ms);
  CHECK(pool.threads() == 0);
  CHECK(pool.submit([&] { ++done; }));
  pool.stop();
  CHECK(done == 4);
  CHECK_FALSE(pool.submit([] {}));
}
