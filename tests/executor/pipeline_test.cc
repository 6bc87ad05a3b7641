// LocalLauncher::start_pipeline through run_process: real processes joined
// by a pipe, one process group, the status of the command that failed.

#include <catch2/catch.hpp>
#include <csignal>
#include <thread>

#include "executor/run_process.hh"
#include "test_support.hh"

using cwf::executor::CancelToken;
using cwf::executor::Clock;
using cwf::executor::LocalLauncher;
using cwf::executor::ProcessSpec;
using cwf::executor::RunOutcome;

namespace {

ProcessSpec sh(const std::string& script) { return {{"/bin/sh", "-c", script}, {"PATH=/usr/bin:/bin"}, {}, std::nullopt}; }

struct Ran {
  RunOutcome outcome;
  std::string output;
};

Ran run(const std::vector<ProcessSpec>& stages, std::chrono::milliseconds limit = std::chrono::seconds(20),
        const CancelToken* cancel = nullptr) {
  LocalLauncher launcher;
  CancelToken never;
  Ran r;
  r.outcome = cwf::executor::run_process(launcher, stages, Clock::now() + limit, std::chrono::milliseconds(300),
                                         cancel ? *cancel : never,
                                         [&](std::string_view chunk) { r.output.append(chunk); });
  return r;
}

}  // namespace

TEST_CASE("pipeline: the first command's stdout is the next one's stdin, never the output") {
  // 32 MiB through the pipe, which is far more than it holds at once.
  auto r = run({sh("echo exporting >&2; head -c 33554432 /dev/zero"), sh("echo importing >&2; wc -c | tr -d ' '")});
  CHECK(r.outcome.status.success());
  CHECK(r.outcome.status.stage == 1);
  CHECK(r.output.find("exporting\n") != std::string::npos);
  CHECK(r.output.find("importing\n") != std::string::npos);
  CHECK(r.output.find("33554432\n") != std::string::npos);
  CHECK(r.output.size() < 100);
}

TEST_CASE("pipeline: the status is the first failure's - a broken pipe is the later command's doing") {
  SECTION("the first command fails; the second fails because of it") {
    auto r = run({sh("exit 3"), sh("cat >/dev/null; exit 4")});
    CHECK(r.outcome.status.code == 3);
    CHECK(r.outcome.status.stage == 0);
  }
  SECTION("the second leaves early: the first dies of SIGPIPE, the second's status counts") {
    auto r = run({sh("head -c 16777216 /dev/zero"), sh("exit 5")});
    CHECK(r.outcome.status.code == 5);
    CHECK(r.outcome.status.stage == 1);
  }
  SECTION("the same when SIGPIPE kills the command itself, not a shell's child") {
    auto r = run({{{"head", "-c", "16777216", "/dev/zero"}, {"PATH=/usr/bin:/bin"}, {}, std::nullopt}, sh("exit 5")});
    CHECK(r.outcome.status.code == 5);
    CHECK(r.outcome.status.stage == 1);
  }
  SECTION("only a broken pipe: that is the failure") {
    auto r = run({{{"head", "-c", "16777216", "/dev/zero"}, {"PATH=/usr/bin:/bin"}, {}, std::nullopt}, sh("head -c 1 >/dev/null")});
    CHECK(r.outcome.status.signal == SIGPIPE);
    CHECK(r.outcome.status.stage == 0);
  }
  SECTION("all succeed") {
    auto r = run({sh("echo a"), sh("cat"), sh("tr a b")});
    CHECK(r.outcome.status.success());
    CHECK(r.output == "b\n");
  }
}

TEST_CASE("pipeline: a deadline stops every command, and what they started") {
  auto started = Clock::now();
  auto r = run({sh("sleep 100 & sleep 100"), sh("sleep 100 | cat")}, std::chrono::milliseconds(300));
  CHECK(r.outcome.timed_out);
  CHECK(Clock::now() - started < std::chrono::seconds(10));
}

TEST_CASE("pipeline: a command that can't start fails it, and nothing started before is left") {
  LocalLauncher launcher;
  cwf::test::TempDir tmp;
  auto marker = tmp.path() / "ran";
  auto p = launcher.start_pipeline({sh("sleep 1; touch '" + marker.string() + "'"),
                                    ProcessSpec{{"no-such-program-here"}, {"PATH=/usr/bin:/bin"}, {}, std::nullopt}});
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().message == "executable not found: no-such-program-here");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CHECK_FALSE(std::filesystem::exists(marker));
}
