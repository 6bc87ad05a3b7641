// The gate's rules without I/O: run, skip or wait, and when to look again.

#include <catch2/catch.hpp>

#include "runner/gating.hh"

using namespace cwf;
using runner::GateDecision;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Action = GateDecision::Action;

namespace {

forge::StatusRead reading(std::vector<std::string> pending, std::vector<std::string> failing, int seen) {
  forge::StatusRead r;
  r.contexts.pending = std::move(pending);
  r.contexts.failing = std::move(failing);
  r.contexts.seen = seen;
  return r;
}

}  // namespace

TEST_CASE("success runs, failure skips naming the failing contexts") {
  runner::GateOptions o;
  CHECK(decide(reading({}, {}, 2), seconds(0), 1, o).action == Action::run);
  auto f = decide(reading({"ci/lint (pending)"}, {"ci/test (failure)", "build (timed_out)"}, 3), seconds(0), 1, o);
  CHECK(f.action == Action::skip);
  CHECK(f.reason == "the commit's status is failing: ci/test (failure), build (timed_out)");
}

TEST_CASE("pending waits with backoff doubling to 30 s, then skips at --status-timeout") {
  runner::GateOptions o;
  auto p = reading({"ci/test (pending)"}, {}, 1);
  auto first = decide(p, seconds(0), 1, o);
  CHECK(first.action == Action::wait);
  CHECK(first.reason == "waiting for the commit's status: ci/test (pending)");
  CHECK(first.next_check == seconds(1));
  CHECK(decide(p, seconds(5), 2, o).next_check == seconds(2));
  CHECK(decide(p, seconds(5), 5, o).next_check == seconds(16));
  CHECK(decide(p, seconds(100), 6, o).next_check == seconds(30));
  CHECK(decide(p, seconds(100), 60, o).next_check == seconds(30));
  // Never past the timeout: the skip comes on time.
  CHECK(decide(p, seconds(3590), 60, o).next_check == seconds(10));
  auto late = decide(p, seconds(3600), 61, o);
  CHECK(late.action == Action::skip);
  CHECK(late.reason == "the commit's status was still pending after --status-timeout (1h): ci/test (pending)");
}

TEST_CASE("no status at all: wait up to --status-grace for one, then run") {
  runner::GateOptions o;
  auto none = reading({}, {}, 0);
  auto early = decide(none, seconds(0), 1, o);
  CHECK(early.action == Action::wait);
  CHECK(early.reason == "no commit status yet; waiting up to 30s for one to appear");
  CHECK(decide(none, seconds(29), 3, o).next_check == seconds(1));
  auto after = decide(none, seconds(30), 4, o);
  CHECK(after.action == Action::run);
  CHECK(after.reason == "no commit status or check run appeared within --status-grace (30s)");
}

TEST_CASE("a forge that cannot be read: wait, honouring Retry-After, skip only at --status-timeout") {
  runner::GateOptions o;
  forge::StatusRead down;
  down.error = "GitHub commit status: HTTP 503";
  auto d = decide(down, seconds(0), 1, o);
  CHECK(d.action == Action::wait);
  CHECK(d.reason == "cannot read the commit's status (retrying): GitHub commit status: HTTP 503");
  down.retry_after = seconds(90);
  CHECK(decide(down, seconds(0), 1, o).next_check == seconds(90));
  auto gone = decide(down, seconds(3600), 50, o);
  CHECK(gone.action == Action::skip);
  CHECK(gone.reason == "the commit's status could not be read for --status-timeout (1h): GitHub commit status: HTTP 503");
}
