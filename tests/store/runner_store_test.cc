// The runner's tables in a real SQLite file: heads, recovery after a crash, the applied config.

#include <catch2/catch.hpp>

#include "store/job_store.hh"
#include "test_support.hh"

using namespace cwf;
using store::HeadChange;
using store::JobState;

namespace {

store::NewJob push_job(const std::string& branch, const std::string& sha) {
  store::NewJob j;
  j.workflow = "deploy";
  j.repository = "acme/web";
  j.branch = branch;
  j.commit_sha = sha;
  j.trigger = "push";
  j.tasks = {{"build", "build"}, {"test", "script"}};
  j.remote = "file:///r.git";
  j.integration = "github";
  return j;
}

std::unique_ptr<store::JobStore> open(const test::TempDir& tmp) {
  auto s = store::JobStore::open(tmp.path());
  REQUIRE(s.ok());
  return std::move(*s);
}

}  // namespace

TEST_CASE("a remote never listed has no heads - a listed one keeps what it saw") {
  test::TempDir tmp;
  auto s = open(tmp);
  CHECK_FALSE(s->heads("file:///r.git"));
  s->record_heads("file:///r.git", {}, 1);
  REQUIRE(s->heads("file:///r.git"));
  CHECK(s->heads("file:///r.git")->empty());
  s->record_heads("file:///r.git", {{"main", "", "a1"}, {"dev", "", "b1"}}, 2);
  s->record_heads("file:///r.git", {{"main", "a1", "a2"}, {"dev", "b1", ""}}, 3);
  CHECK(*s->heads("file:///r.git") == std::map<std::string, std::string>{{"main", "a2"}});
  CHECK_FALSE(s->heads("file:///other.git"));
}

TEST_CASE("jobs and the heads that made them land together, or not at all") {
  test::TempDir tmp;
  auto s = open(tmp);
  s->record_heads("r", {{"main", "", "a1"}}, 1);
  {
    store::JobStore::Transaction tx(*s);
    s->create_job(push_job("main", "a2"), 2);
    s->record_heads("r", {{"main", "a1", "a2"}}, 2);
    // no commit: a crash here
  }
  CHECK(s->unstarted_jobs(JobState::queued).empty());
  CHECK(s->heads("r")->at("main") == "a1");
  {
    store::JobStore::Transaction tx(*s);
    s->create_job(push_job("main", "a2"), 2);
    s->record_heads("r", {{"main", "a1", "a2"}}, 2);
    tx.commit();
  }
  auto reopened = (s.reset(), open(tmp));
  auto queued = reopened->unstarted_jobs(JobState::queued);
  REQUIRE(queued.size() == 1);
  CHECK(queued[0].remote == "file:///r.git");
  CHECK(queued[0].integration == "github");
  CHECK(reopened->heads("r")->at("main") == "a2");
}

TEST_CASE("jobs left running by a killed runner end interrupted, their tasks closed") {
  test::TempDir tmp;
  auto s = open(tmp);
  auto running = s->create_job(push_job("main", "a"), 1);
  auto queued = s->create_job(push_job("main", "b"), 2);
  auto done = s->create_job(push_job("main", "c"), 3);
  auto gated = push_job("main", "e");
  gated.state = JobState::waiting;
  auto waiting = s->create_job(gated, 3);
  auto exec = push_job("main", "d");
  exec.trigger = "exec";
  auto exec_id = s->create_job(exec, 3);
  s->set_job_state(exec_id, JobState::running, "", 4);  // its own process may still run it
  s->set_job_state(running, JobState::running, "", 4);
  s->start_task(running, 0, "logs/1.log", 0, 4);
  s->set_job_state(done, JobState::succeeded, "", 5);
  CHECK(s->interrupt_unfinished(10) == std::vector<std::int64_t>{running});
  auto j = s->get_job(running);
  CHECK(j->state == JobState::interrupted);
  CHECK(j->finished_at == 10);
  CHECK_THAT(j->reason, Catch::Contains("not re-run"));
  CHECK(j->tasks[0].state == store::TaskState::cancelled);
  CHECK(j->tasks[0].log_path == "logs/1.log");  // the log stays reachable
  CHECK(j->tasks[1].state == store::TaskState::skipped);
  CHECK(s->get_job(queued)->state == JobState::queued);
  // A job held by the commit-status gate never started: it waits again.
  CHECK(s->get_job(waiting)->state == JobState::waiting);
  CHECK(s->unstarted_jobs(JobState::waiting).size() == 1);
  CHECK(s->get_job(done)->state == JobState::succeeded);
  CHECK(s->get_job(exec_id)->state == JobState::running);
  CHECK(s->interrupt_unfinished(11).empty());
}

TEST_CASE("a queued job's tasks follow its workflow's edit") {
  test::TempDir tmp;
  auto s = open(tmp);
  auto id = s->create_job(push_job("main", "a"), 1);
  s->replace_tasks(id, {{"lint", "script"}});
  auto j = s->get_job(id);
  REQUIRE(j->tasks.size() == 1);
  CHECK(j->tasks[0].name == "lint");
}

TEST_CASE("the applied workflows file survives a restart") {
  test::TempDir tmp;
  CHECK_FALSE(open(tmp)->applied_config());
  open(tmp)->save_applied_config({"file /x.yml", "abc", std::string("version: 1\0x", 12), 7});
  auto c = open(tmp)->applied_config();
  REQUIRE(c);
  CHECK(c->source == "file /x.yml");
  CHECK(c->revision == "abc");
  CHECK(c->content == std::string("version: 1\0x", 12));
  CHECK(c->applied_at == 7);
}

TEST_CASE("a job that never started ends with its tasks skipped") {
  test::TempDir tmp;
  auto s = open(tmp);
  auto gated = push_job("main", "a");
  gated.state = JobState::waiting;
  auto id = s->create_job(gated, 1);
  s->end_unstarted(id, JobState::skipped, "ci/test: failure", 7);
  auto j = s->get_job(id);
  CHECK(j->state == JobState::skipped);
  CHECK(j->reason == "ci/test: failure");
  CHECK(j->finished_at == 7);
  CHECK_FALSE(j->started_at);
  for (const auto& t : j->tasks) {
    CHECK(t.state == store::TaskState::skipped);
    CHECK(t.reason == "the job did not start");
  }
}

TEST_CASE("retention: the newest finished jobs are kept, and none too old - never an unfinished one") {
  test::TempDir tmp;
  auto s = open(tmp);
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 6; ++i) {
    ids.push_back(s->create_job(push_job("main", std::to_string(i)), 1000 * i));
    s->set_job_state(ids.back(), JobState::running, "", 1000 * i);
    s->set_job_state(ids.back(), JobState::succeeded, "", 1000 * i + 10);
  }
  auto waiting_job = push_job("main", "w");
  waiting_job.state = JobState::waiting;
  auto waiting = s->create_job(waiting_job, 0);
  auto queued = s->create_job(push_job("main", "q"), 0);
  auto running = s->create_job(push_job("main", "r"), 0);
  s->set_job_state(running, JobState::running, "", 0);
  s->start_task(running, 0, "logs/r.log", 0, 0);
  auto rerun = push_job("main", "0");
  rerun.parent_job_id = ids[0];
  auto child = s->create_job(rerun, 100);
  s->set_job_state(child, JobState::failed, "x", 7000);

  CHECK(s->prune({}, 10000).empty());  // no limit: nothing goes
  auto pruned = s->prune({4, 0}, 10000);
  REQUIRE(pruned.size() == 3);  // 7 finished, 4 kept
  CHECK(pruned[0].id == ids[0]);
  CHECK(pruned[0].tasks.size() == 2);  // returned with the tasks, for their logs
  CHECK_FALSE(s->get_job(ids[0]));
  CHECK_FALSE(s->get_job(child)->parent_job_id);  // the rerun no longer links to it
  CHECK(s->get_job(ids[3]));
  // By age: finished more than 2.5 s before 8 s: ids[3..5], not the rerun (7 s).
  CHECK(s->prune({0, 2500}, 8000).size() == 3);
  CHECK(s->get_job(child));
  CHECK(s->prune({0, 1}, 1000000, 1).size() == 1);  // in batches
  CHECK(s->prune({0, 1}, 1000000).empty());  // only unfinished jobs are left
  for (auto id : {waiting, queued, running}) CHECK(s->get_job(id));
}

TEST_CASE("webhook deliveries: a repeat within the window is told, per forge - old and surplus ids are forgotten") {
  test::TempDir tmp;
  auto kept = open(tmp);
  auto& s = *kept;
  const std::int64_t day = 24 * 3600 * 1000;
  CHECK(s.record_delivery("github", "a", 1000, day));
  CHECK_FALSE(s.record_delivery("github", "a", 2000, day));
  CHECK(s.record_delivery("gitlab", "a", 2000, day));  // another forge's id space
  CHECK(s.record_delivery("github", "a", 1000 + day + 1, day));  // past the window: new again
  // At most MAX_KEPT (checked every 1,000 new ids): the oldest go first.
  for (int i = 0; i < 1000; ++i) s.record_delivery("github", "n" + std::to_string(i), 10 * day + i, 30 * day, 10);
  CHECK(s.record_delivery("github", "n0", 10 * day + 2000, 30 * day, 10));     // forgotten
  CHECK_FALSE(s.record_delivery("github", "n999", 10 * day + 2000, 30 * day, 10));  // kept
}

TEST_CASE("a pull request's head is recorded once, with its job or not at all; closed PRs are forgotten") {
  test::TempDir tmp;
  const std::string r = "file:///r.git";
  store::NewJob pr_job = push_job("feature", "a1");
  pr_job.trigger = "pull_request";
  pr_job.pull_request = 7;
  pr_job.pull_request_url = "https://github.com/acme/web/pull/7";
  pr_job.untrusted = true;
  std::int64_t id = 0;
  {
    auto s = open(tmp);
    {
      store::JobStore::Transaction tx(*s);
      CHECK(s->record_pull_request_head(r, {"deploy", 7, "a1"}, 1));
      s->create_job(pr_job, 1);
      // Not committed: a crash here loses both, and the next poll makes both.
    }
    CHECK(s->pull_request_heads(r).empty());
    CHECK(s->list_jobs({}).empty());
    {
      store::JobStore::Transaction tx(*s);
      CHECK(s->record_pull_request_head(r, {"deploy", 7, "a1"}, 2));
      id = s->create_job(pr_job, 2);
      tx.commit();
    }
  }
  auto s = open(tmp);  // a restart
  CHECK_FALSE(s->record_pull_request_head(r, {"deploy", 7, "a1"}, 3));
  CHECK(s->record_pull_request_head(r, {"other", 7, "a1"}, 3));
  CHECK(s->record_pull_request_head(r, {"deploy", 8, "b1"}, 3));
  CHECK(s->pull_request_heads(r).size() == 3);
  CHECK(s->pull_request_heads("file:///elsewhere.git").empty());
  auto job = s->get_job(id);
  REQUIRE(job);
  CHECK(job->pull_request == 7);
  CHECK(job->pull_request_url == "https://github.com/acme/web/pull/7");
  CHECK(job->untrusted);
  auto open_jobs = s->pull_request_jobs(r, "deploy", 7);
  REQUIRE(open_jobs.size() == 1);
  CHECK(open_jobs[0].id == id);
  s->set_job_state(id, JobState::succeeded, "", 4);
  CHECK(s->pull_request_jobs(r, "deploy", 7).empty());

  s->forget_pull_requests(r, {8});
  auto left = s->pull_request_heads(r);
  REQUIRE(left.size() == 1);
  CHECK(left[0].number == 8);
  s->forget_pull_requests(r, {});
  CHECK(s->pull_request_heads(r).empty());
}
