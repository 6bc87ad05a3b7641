// The poller: every remote on its own schedule; a stuck one holds only its worker; errors back off.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "store/job_store.hh"
#include "test_support.hh"
#include "watcher/poller.hh"

using namespace std::chrono_literals;
using cwf::watcher::Poller;
using std::chrono::milliseconds;

namespace {

using cwf::test::eventually;

}  // namespace

TEST_CASE("backoff doubles per failure, is capped, and is jittered") {
  using cwf::watcher::backoff_delay;
  CHECK(backoff_delay(2000ms, 1, 600000ms, 0.5) == 2000ms);
  CHECK(backoff_delay(2000ms, 2, 600000ms, 0.5) == 4000ms);
  CHECK(backoff_delay(2000ms, 4, 600000ms, 0.5) == 16000ms);
  CHECK(backoff_delay(2000ms, 40, 600000ms, 0.5) == 600000ms);
  CHECK(backoff_delay(2000ms, 1, 600000ms, 0.0) == 1600ms);
  CHECK(backoff_delay(2000ms, 1, 600000ms, 1.0) == 2400ms);
  // A sub-second interval still waits a second between failed attempts.
  CHECK(backoff_delay(100ms, 1, 600000ms, 0.5) == 1000ms);
}

TEST_CASE("a remote that hangs never delays the others") {
  std::atomic<bool> release{false};
  std::atomic<int> healthy{0};
  Poller poller(
      [&](const std::string& url) -> std::optional<std::string> {
        if (url == "stuck") {
          while (!release) std::this_thread::sleep_for(1ms);
          return std::string("timed out");
        }
        ++healthy;
        return std::nullopt;
      },
      20ms, 2);
  poller.set_remotes({"stuck", "a", "b"});
  CHECK(eventually([&] { return healthy >= 20; }));
  auto status = poller.status();
  REQUIRE(status.size() == 3);
  CHECK(status[2].url == "stuck");
  CHECK(status[2].in_flight);
  CHECK_FALSE(poller.first_cycle_done());
  release = true;
  CHECK(eventually([&] { return poller.first_cycle_done(); }));
  CHECK(eventually([&] { return poller.status()[2].failures == 1; }));
  CHECK(poller.status()[2].last_error == "timed out");
}

TEST_CASE("workers are added when remotes are overdue because the others are stuck") {
  std::atomic<bool> release{false};
  std::atomic<int> healthy{0};
  Poller poller(
      [&](const std::string& url) -> std::optional<std::string> {
        if (url.rfind("stuck", 0) == 0)
          while (!release) std::this_thread::sleep_for(1ms);
        else
          ++healthy;
        return std::nullopt;
      },
      20ms, 3);
  poller.set_remotes({"stuck1", "stuck2", "zhealthy"});  // the stuck ones are taken first
  CHECK(eventually([&] { return healthy >= 5; }));
  release = true;
}

TEST_CASE("a failing remote backs off - a healthy one resets its count") {
  std::mutex mu;
  std::vector<std::chrono::steady_clock::time_point> calls;
  Poller poller(
      [&](const std::string&) -> std::optional<std::string> {
        std::lock_guard lock(mu);
        calls.push_back(std::chrono::steady_clock::now());
        return std::string("refused");
      },
      10ms, 1);
  poller.set_remotes({"down"});
  CHECK(eventually([&] { return poller.status()[0].failures >= 1; }));
  // After the first failure the next try is about a second away, not 10 ms.
  std::this_thread::sleep_for(300ms);
  {
    std::lock_guard lock(mu);
    CHECK(calls.size() == 1);
  }
  CHECK(poller.status()[0].next_poll_at > cwf::store::now_ms() + 300);
}

TEST_CASE("poll_now polls at once, also when asked during a poll") {
  std::atomic<int> polls{0};
  std::atomic<bool> slow{false};
  Poller poller(
      [&](const std::string&) -> std::optional<std::string> {
        ++polls;
        while (slow) std::this_thread::sleep_for(1ms);
        return std::nullopt;
      },
      std::chrono::hours(1), 1);
  poller.set_remotes({"r"});
  CHECK(eventually([&] { return polls == 1 && !poller.status()[0].in_flight; }));
  poller.poll_now("r");
  CHECK(eventually([&] { return polls == 2; }));
  CHECK(eventually([&] { return !poller.status()[0].in_flight; }));
  slow = true;
  poller.poll_now("r");
  CHECK(eventually([&] { return polls == 3; }));
  poller.poll_now("r");  // while in flight: remembered
  slow = false;
  CHECK(eventually([&] { return polls == 4; }));
}

TEST_CASE("removed remotes are no longer polled") {
  std::atomic<int> polls{0};
  Poller poller([&](const std::string&) -> std::optional<std::string> { ++polls; return std::nullopt; }, 5ms, 1);
  poller.set_remotes({"r"});
  CHECK(eventually([&] { return polls > 2; }));
  poller.set_remotes({});
  std::this_thread::sleep_for(20ms);
  int after = polls;
  std::this_thread::sleep_for(50ms);
  CHECK(polls == after);
  CHECK(poller.status().empty());
}
