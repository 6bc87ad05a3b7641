#include <catch2/catch.hpp>
#include <sstream>

#include "cli/job_output.hh"

using namespace cwf::cli;

TEST_CASE("states are coloured only on a terminal") {
  CHECK(colored("succeeded", true) == "\033[32msucceeded\033[0m");
  CHECK(colored("failed", true) == "\033[31mfailed\033[0m");
  CHECK(colored("running", true) == "\033[33mrunning\033[0m");
  CHECK(colored("skipped", true) == "\033[90mskipped\033[0m");
  CHECK(colored("failed", false) == "failed");
}

TEST_CASE("durations read naturally") {
  CHECK(format_duration_ms(1000, 2500) == "1.5s");
  CHECK(format_duration_ms(0, 125000) == "2m05s");
  CHECK(format_duration_ms(0, 3 * 3600000 + 60000) == "3h01m");
  CHECK(format_duration_ms(std::nullopt, 5) == "-");
}

TEST_CASE("the summary names each task's state, duration, ids and reason") {
  cwf::store::JobRecord job;
  job.id = 7;
  job.workflow = "deploy";
  job.commit_sha = std::string(40, 'c');
  job.state = cwf::store::JobState::failed;
  job.reason = "tasks[1] (production) failed: boom";
  job.started_at = 0;
  job.finished_at = 4000;
  cwf::store::TaskRecord a;
  a.name = "staging";
  a.state = cwf::store::TaskState::succeeded;
  a.started_at = 0;
  a.finished_at = 1000;
  a.build_id = "B1";
  a.release_id = "R1";
  cwf::store::TaskRecord b = a;
  b.name = "production";
  b.state = cwf::store::TaskState::failed;
  b.reason = "boom";
  job.tasks = {a, b};
  std::ostringstream out;
  print_job_summary(out, job, false);
  std::string s = out.str();
  CHECK(s.find("job 7 failed in 4.0s (deploy on cccccccccccc)") != std::string::npos);
  CHECK(s.find("succeeded       staging") != std::string::npos);
  CHECK(s.find("build B1 release R1") != std::string::npos);
  CHECK(s.find("boom") != std::string::npos);
  CHECK(s.find("reason: tasks[1] (production) failed: boom") != std::string::npos);
}
