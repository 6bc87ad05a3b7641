#include <catch2/catch.hpp>
#include <SQLiteCpp/SQLiteCpp.h>

#include "store/job_store.hh"
#include "store/migrations.hh"
#include "test_support.hh"

using namespace cwf::store;

namespace {

NewJob job(const std::string& workflow) {
  NewJob j;
  j.workflow = workflow;
  j.repository = "acme/web";
  j.branch = "main";
  j.commit_sha = std::string(40, 'a');
  j.trigger = "exec";
  j.tasks = {{"build web", "build"}, {"test", "script"}};
  return j;
}

}  // namespace

TEST_CASE("the store migrates once and reopens") {
  cwf::test::TempDir tmp;
  {
    auto s = JobStore::open(tmp.path() / "d");
    REQUIRE(s.ok());
    (*s)->create_job(job("a"), 1000);
  }
  auto s = JobStore::open(tmp.path() / "d");
  REQUIRE(s.ok());
  CHECK((*s)->list_jobs({}).size() == 1);
  SQLite::Database db((tmp.path() / "d/jobs.db").string());
  CHECK(db.execAndGet("PRAGMA user_version").getInt() == static_cast<int>(migrations().size()));
  CHECK(db.execAndGet("PRAGMA journal_mode").getString() == "wal");
}

TEST_CASE("a store made before pull requests keeps its jobs, tasks, ids and links when it migrates") {
  cwf::test::TempDir tmp;
  std::filesystem::create_directories(tmp.path() / "d");
  {
    // The store as 0001..0005 left it, with a pruned newest job (id 3).
    SQLite::Database db((tmp.path() / "d/jobs.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA foreign_keys = ON");
    for (int i = 0; i < 5; ++i) db.exec(migrations()[static_cast<std::size_t>(i)].sql);
    db.exec("PRAGMA user_version = 5");
    db.exec("INSERT INTO jobs (workflow, repository, branch, commit_sha, trigger, state, created_at, remote) VALUES "
            "('deploy', 'acme/web', 'main', 'abc', 'push', 'succeeded', 1, 'file:///r.git'), "
            "('deploy', 'acme/web', 'main', 'abc', 'rerun', 'failed', 2, 'file:///r.git'), "
            "('deploy', 'acme/web', 'main', 'abd', 'push', 'failed', 3, 'file:///r.git')");
    db.exec("UPDATE jobs SET parent_job_id = 1 WHERE id = 2");
    db.exec("INSERT INTO tasks (job_id, idx, name, type, state) VALUES (1, 0, 'build web', 'build', 'succeeded'), "
            "(2, 0, 'build web', 'build', 'failed')");
    db.exec("DELETE FROM jobs WHERE id = 3");
  }
  auto s = JobStore::open(tmp.path() / "d");
  REQUIRE(s.ok());
  auto rerun = (*s)->get_job(2);
  REQUIRE(rerun);
  CHECK(rerun->parent_job_id == 1);
  CHECK(rerun->trigger == "rerun");
  REQUIRE(rerun->tasks.size() == 1);
  CHECK(rerun->tasks[0].name == "build web");
  CHECK_FALSE(rerun->pull_request);
  auto pr = job("review");
  pr.trigger = "pull_request";
  pr.pull_request = 7;
  CHECK((*s)->create_job(pr, 4) == 4);  // never 3 again
  CHECK((*s)->list_jobs({}).size() == 3);
  SQLite::Database db((tmp.path() / "d/jobs.db").string());
  CHECK(db.execAndGet("PRAGMA user_version").getInt() == static_cast<int>(migrations().size()));
  SQLite::Statement broken(db, "PRAGMA foreign_key_check");
  CHECK_FALSE(broken.executeStep());
  CHECK(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
}

TEST_CASE("a job keeps its commit's first line and author") {
  cwf::test::TempDir tmp;
  auto s = std::move(*JobStore::open(tmp.path()));
  auto j = job("deploy");
  j.commit_title = "fix the <b>bug</b>";
  j.commit_author = "Ada Lovelace";
  auto id = s->create_job(j, 1000);
  auto got = s->get_job(id);
  REQUIRE(got);
  CHECK(got->commit_title == "fix the <b>bug</b>");
  CHECK(got->commit_author == "Ada Lovelace");
  CHECK(s->list_jobs({}).at(0).commit_author == "Ada Lovelace");
}

TEST_CASE("a job's life in the store") {
  cwf::test::TempDir tmp;
  auto s = std::move(*JobStore::open(tmp.path()));
  auto id = s->create_job(job("deploy"), 1000);
  auto j = s->get_job(id);
  REQUIRE(j);
  CHECK(j->state == JobState::queued);
  CHECK(j->tasks.size() == 2);
  CHECK(j->tasks[1].state == TaskState::pending);
  s->set_job_state(id, JobState::running, "", 2000);
  s->start_task(id, 0, "logs/1.log", 512, 2100);
  s->update_task_log(id, 0, 42);
  TaskOutcome o;
  o.exit_code = 0;
  // From temporaries: assigned the bare literals, GCC 12 at -O3 (Release) warns
  // -Wmaybe-uninitialized inside std::string, falsely.
  o.build_id = std::string("B1");
  o.release_id = std::string("R1");
  o.log_bytes = 100;
  s->finish_task(id, 0, o, 3000);
  TaskOutcome skipped;
  skipped.state = TaskState::skipped;
  s->finish_task(id, 1, skipped, 3000);
  s->set_job_state(id, JobState::succeeded, "", 3500);
  j = s->get_job(id);
  CHECK(j->state == JobState::succeeded);
  CHECK(j->started_at == 2000);
  CHECK(j->finished_at == 3500);
  CHECK(j->tasks[0].started_at == 2100);
  CHECK(j->tasks[0].finished_at == 3000);
  CHECK(j->tasks[0].release_id == "R1");
  CHECK(j->tasks[0].log_bytes == 100);
  CHECK(j->tasks[0].log_path == "logs/1.log");
  CHECK(j->tasks[0].log_offset == 512);
  CHECK_FALSE(j->tasks[1].started_at.has_value());
}

TEST_CASE("listing: newest first, filtered, paged") {
  cwf::test::TempDir tmp;
  auto s = std::move(*JobStore::open(tmp.path()));
  for (int i = 0; i < 5; ++i) s->create_job(job(i % 2 ? "odd" : "even"), 1000 + i);
  s->set_job_state(1, JobState::failed, "x", 2000);
  auto all = s->list_jobs({});
  REQUIRE(all.size() == 5);
  CHECK(all.front().id == 5);
  CHECK(s->list_jobs({"odd", {}, 20, {}, ""}).size() == 2);
  CHECK(s->list_jobs({"", JobState::failed, 20, {}, ""}).at(0).id == 1);
  CHECK(s->list_jobs({"", {}, 20, {}, "main"}).size() == 5);
  CHECK(s->list_jobs({"", {}, 20, {}, "nope"}).empty());
  auto page = s->list_jobs({"", {}, 2, 4, ""});
  REQUIRE(page.size() == 2);
  CHECK(page[0].id == 3);
}

TEST_CASE("a data dir that cannot be created is a clear error") {
  cwf::test::TempDir tmp;
  std::ofstream(tmp.path() / "file") << "x";
  auto s = JobStore::open(tmp.path() / "file" / "data");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message.starts_with("cannot create the data dir "));
}

TEST_CASE("reading a store that does not exist says so") {
  cwf::test::TempDir tmp;
  auto s = JobStore::open(tmp.path() / "none", true);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message.find("no job has run") != std::string::npos);
}

TEST_CASE("a log shorter than its tasks' ranges ends with a note that it was cut") {
  JobRecord job;
  job.state = JobState::failed;
  TaskRecord a, b, never;
  a.log_path = b.log_path = "logs/1.log";
  a.log_offset = 0;
  a.log_bytes = 100;
  b.log_offset = 100;
  b.log_bytes = 50;
  job.tasks = {a, b, never};
  CHECK(log_cut_note(job, 150).empty());
  CHECK(log_cut_note(job, 120) ==
        "\n[log cut: the last 30 bytes of this log were never written (a full disk?); the job's reason says why]\n");
  job.state = JobState::running;  // still being written
  CHECK(log_cut_note(job, 120).empty());
}
