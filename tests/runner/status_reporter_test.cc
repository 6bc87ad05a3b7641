// What each job state posts on its commit, and the reporter's queue against
// the stand-in forge: the exact documented requests, newest state wins,
// re-posting after an outage.

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "forge/fake_forge.hh"
#include "runner/status_reporter.hh"
#include "test_support.hh"

using namespace cwf;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::string kSha(40, 'a');

store::JobRecord job(store::JobState state, std::string reason = "") {
  store::JobRecord j;
  j.id = 42;
  j.workflow = "deploy";
  j.repository = "acme/web";
  j.commit_sha = kSha;
  j.trigger = "push";
  j.integration = "github";
  j.state = state;
  j.reason = std::move(reason);
  j.tasks.resize(2);
  return j;
}


}  // namespace

TEST_CASE("each job state says what happened, linking to the job's page") {
  const std::string url = "https://ci.example.com";
  auto waiting = runner::post_for(job(store::JobState::waiting, "waiting for the commit's status: ci/test (pending)"), url);
  CHECK(waiting.state == forge::PostState::pending);
  CHECK(waiting.context == "convox-workflows/deploy");
  CHECK(waiting.description == "Waiting: waiting for the commit's status: ci/test (pending)");
  CHECK(waiting.target_url == "https://ci.example.com/jobs/42");
  auto running = runner::post_for(job(store::JobState::running), url);
  CHECK(running.state == forge::PostState::running);
  CHECK(running.description == "Running 2 tasks");
  auto ok = job(store::JobState::succeeded);
  ok.started_at = 1000;
  ok.finished_at = 73000;
  CHECK(runner::post_for(ok, url).description == "Succeeded in 1m12s");
  CHECK(runner::post_for(ok, url).state == forge::PostState::success);
  auto failed = runner::post_for(job(store::JobState::failed, "task 1 (migrate) failed: exit status 3"), "");
  CHECK(failed.state == forge::PostState::failure);
  CHECK(failed.description == "Failed: task 1 (migrate) failed: exit status 3");
  CHECK(failed.target_url.empty());
  CHECK(runner::post_for(job(store::JobState::skipped, "x"), "").state == forge::PostState::error);
  CHECK(runner::post_for(job(store::JobState::cancelled, "x"), "").state == forge::PostState::error);
  CHECK(runner::post_for(job(store::JobState::interrupted), "").state == forge::PostState::error);
  CHECK(runner::post_for(job(store::JobState::failed, std::string(300, 'x')), "").description.size() == 140);
}

TEST_CASE("the reporter posts the documented requests - exec jobs and other forges post nothing") {
  test::FakeForge f;
  auto gh = forge::make_github(f.url(), "t", {});
  auto gl = forge::make_gitlab(f.url() + "/api/v4", "t", {});
  runner::StatusReporter r({{"github", gh.get()}, {"gitlab", gl.get()}}, "https://ci.example.com/");
  r.job(job(store::JobState::running));
  REQUIRE(test::eventually([&] { return f.posts().size() == 1; }));
  auto p = f.posts()[0];
  CHECK(p.target == "/repos/acme/web/statuses/" + kSha);
  CHECK(json::parse(p.body) == json{{"state", "pending"},
                                    {"context", "convox-workflows/deploy"},
                                    {"description", "Running 2 tasks"},
                                    {"target_url", "https://ci.example.com/jobs/42"}});
  auto lab = job(store::JobState::failed, "task 0 (build) failed");
  lab.integration = "gitlab";
  lab.repository = "group/sub/app";
  r.job(lab);
  REQUIRE(test::eventually([&] { return f.posts().size() == 2; }));
  p = f.posts()[1];
  CHECK(p.target == "/api/v4/projects/group%2Fsub%2Fapp/statuses/" + kSha);
  CHECK(json::parse(p.body) == json{{"state", "failed"},
                                    {"name", "convox-workflows/deploy"},
                                    {"description", "Failed: task 0 (build) failed"},
                                    {"target_url", "https://ci.example.com/jobs/42"}});
  auto exec = job(store::JobState::succeeded);
  exec.trigger = "exec";
  r.job(exec);
  auto git = job(store::JobState::succeeded);
  git.integration = "git";
  r.job(git);
  r.flush(2s);
  CHECK(f.posts().size() == 2);
  CHECK(r.counts()["github"].posted == 1);
  CHECK(r.counts()["gitlab"].posted == 1);
}

TEST_CASE("a forge outage: the newest state is re-posted once it is back - a 4xx is given up") {
  test::FakeForge f;
  forge::HttpOptions http;
  http.attempts = 1;
  auto gh = forge::make_github(f.url(), "t", http);
  runner::StatusReporter r({{"github", gh.get()}}, "");
  f.trouble(1, {503, {}});
  r.job(job(store::JobState::running));
  REQUIRE(test::eventually([&] { return r.counts()["github"].retried == 1; }));
  r.job(job(store::JobState::succeeded));  // replaces the running state not yet posted
  REQUIRE(test::eventually([&] { return r.pending() == 0; }, 5s));
  auto posts = f.posts();
  REQUIRE(posts.size() == 2);
  CHECK(json::parse(posts[0].body)["state"] == "pending");  // the one the outage ate
  CHECK(json::parse(posts[1].body)["state"] == "success");

  f.trouble(1, {422, {}});
  auto other = job(store::JobState::failed);
  other.commit_sha = std::string(40, 'b');
  r.job(other);
  REQUIRE(test::eventually([&] { return r.counts()["github"].dropped == 1; }));
  CHECK(r.pending() == 0);
}
