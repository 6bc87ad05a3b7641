#include <catch2/catch.hpp>

#include "runner/watchdog.hh"

using namespace cwf;

TEST_CASE("the watchdog names a main loop that stopped turning and a listing past every timeout") {
  runner::WatchdogLimits limits;
  limits.loop = std::chrono::milliseconds(10000);
  limits.poll = std::chrono::milliseconds(300000);
  const std::int64_t now = 1'000'000'000;
  watcher::RemoteStatus quick, stuck, idle;
  quick.url = "https://h.example/quick.git";
  quick.in_flight = true;
  quick.in_flight_since = now - 299000;
  stuck.url = "https://user:pw@h.example/stuck.git";
  stuck.in_flight = true;
  stuck.in_flight_since = now - 301000;
  idle.url = "https://h.example/idle.git";
  idle.in_flight_since = now - 900000;  // not in flight: stale field, ignored
  CHECK(runner::stalls(now, now - 9000, {quick, idle}, limits).empty());
  CHECK(runner::stalls(now, 0, {}, limits).empty());  // not started yet
  auto s = runner::stalls(now, now - 12000, {quick, stuck, idle}, limits);
  REQUIRE(s.size() == 2);
  CHECK(s[0] == "the main loop has not completed a turn for 12 s (the workflows file is not re-read, state.json not "
                "written)");
  CHECK(s[1] == "listing https://***@h.example/stuck.git has taken 301 s, past every timeout");
}
