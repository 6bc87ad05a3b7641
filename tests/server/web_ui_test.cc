// The web UI's HTML: indicators by state, links to jobs, escaping of anything that came from a push.

#include <catch2/catch.hpp>

#include "config/loader.hh"
#include "executor/job_log.hh"
#include "server/web_ui.hh"

using namespace cwf;

namespace {

store::JobRecord job(std::int64_t id, store::JobState state, std::string branch) {
  store::JobRecord j;
  j.id = id;
  j.workflow = "deploy";
  j.branch = std::move(branch);
  j.commit_sha = std::string(40, 'c');
  j.trigger = "push";
  j.state = state;
  j.created_at = 1795870000000;
  j.started_at = 1795870001000;
  j.finished_at = 1795870004500;
  return j;
}

}  // namespace

TEST_CASE("html escaping") {
  CHECK(server::html_escape("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

TEST_CASE("the jobs list: one row per job, coloured by state, its time linking to its page") {
  runner::ConfigStatus status;
  status.ready = true;
  status.source = "file wf.yml";
  status.last_applied_revision = "0123456789abcdef";
  config::Config config;
  std::vector<store::JobRecord> jobs = {job(4, store::JobState::running, "main"),
                                        job(3, store::JobState::skipped, "main"),
                                        job(2, store::JobState::failed, "main"),
                                        job(1, store::JobState::succeeded, "<script>alert(1)</script>")};
  std::string html = server::render_index(status, config, jobs, 1);
  CHECK_THAT(html, Catch::Contains("<span class=\"dot amber\" title=\"running\">"));
  CHECK_THAT(html, Catch::Contains("<span class=\"dot grey\" title=\"skipped\">"));
  CHECK_THAT(html, Catch::Contains("<span class=\"dot red\" title=\"failed\">"));
  CHECK_THAT(html, Catch::Contains("<span class=\"dot green\" title=\"succeeded\">"));
  CHECK_THAT(html, Catch::Contains("<a href=\"/jobs/2\">"));
  CHECK_THAT(html, Catch::Contains("<td>3.5s</td>"));
  CHECK_THAT(html, Catch::Contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
  CHECK_THAT(html, !Catch::Contains("<script>"));
  CHECK_THAT(html, Catch::Contains("<a href=\"/?before=1\">older jobs</a>"));
}

TEST_CASE("the jobs list: numbers, relative times with the absolute one on hover, filters kept in the URL") {
  runner::ConfigStatus status;
  auto loaded = config::load_string("t.yml", "version: 1\nworkflows:\n  - name: deploy\n    trigger: {integration: git, "
                                             "repository: \"file:///r.git\", branch: main}\n    tasks: [{type: script, "
                                             "command: \"true\"}]\n");
  REQUIRE(loaded.config);
  auto j = job(12, store::JobState::failed, "main");
  server::IndexView view;
  view.filter.workflow = "deploy";
  view.filter.state = store::JobState::failed;
  view.filter.branch = "a&b";
  view.now_ms = j.created_at + 3 * 60 * 1000 + 500;
  std::string html = server::render_index(status, *loaded.config, {j}, 12, view);
  CHECK_THAT(html, Catch::Contains("<td><a href=\"/jobs/12\">#12</a></td>"));
  CHECK_THAT(html, Catch::Contains("\">3 min ago</time>"));
  CHECK_THAT(html, Catch::Contains("<time datetime=\"" + executor::format_time(j.created_at) + "\" title=\""));
  CHECK_THAT(html, Catch::Contains("<option value=\"deploy\" selected>deploy</option>"));
  CHECK_THAT(html, Catch::Contains("<option value=\"failed\" selected>failed</option>"));
  CHECK_THAT(html, Catch::Contains("<input name=\"branch\" value=\"a&amp;b\""));
  CHECK_THAT(html, Catch::Contains("<a href=\"/?workflow=deploy&state=failed&branch=a%26b&before=12\">older jobs</a>"));
  CHECK_THAT(html, Catch::Contains("<a href=\"/\">clear</a>"));
  view.filter.workflow = "gone-one";
  CHECK_THAT(server::render_index(status, *loaded.config, {}, std::nullopt, view),
             Catch::Contains("<option value=\"gone-one\" selected>gone-one (gone)</option>") &&
                 Catch::Contains("No job matches these filters."));
  CHECK(server::relative_time(1000, 1000) == "just now");
  CHECK(server::relative_time(0, 42000) == "42 s ago");
  CHECK(server::relative_time(0, 5 * 3600 * 1000) == "5 h ago");
  CHECK(server::relative_time(0, 2 * 86400 * 1000 + 5) == "2 d ago");
  CHECK(server::relative_time(5000, 0) == "just now");
}

TEST_CASE("the jobs list: a commit's first line and author, escaped; a pull request linked") {
  runner::ConfigStatus status;
  config::Config config;
  auto j = job(5, store::JobState::succeeded, "feature");
  j.commit_title = "fix <img src=x onerror=alert(1)>";
  j.commit_author = "Mallory & co";
  j.pull_request = 7;
  j.pull_request_url = "https://github.com/acme/web/pull/7\"><script>";
  std::string html = server::render_index(status, config, {j}, std::nullopt);
  CHECK_THAT(html, Catch::Contains("fix &lt;img src=x onerror=alert(1)&gt; <span class=\"muted\">Mallory &amp; co</span>"));
  CHECK_THAT(html, Catch::Contains("<a href=\"https://github.com/acme/web/pull/7&quot;&gt;&lt;script&gt;\">PR #7</a> <code>feature</code>"));
  CHECK_THAT(html, !Catch::Contains("<script>"));
  CHECK_THAT(html, !Catch::Contains("<img"));
}

TEST_CASE("a rejected workflows file shows its errors") {
  runner::ConfigStatus status;
  status.ready = false;
  status.errors = {"wf.yml:3:5: error: <bad>"};
  std::string html = server::render_index(status, config::Config{}, {}, std::nullopt);
  CHECK_THAT(html, Catch::Contains("not ready"));
  CHECK_THAT(html, Catch::Contains("wf.yml:3:5: error: &lt;bad&gt;"));
  CHECK_THAT(html, Catch::Contains("No jobs yet"));
}

TEST_CASE("a job's page: tasks, the log escaped, refreshing only while it runs") {
  auto j = job(7, store::JobState::running, "main");
  store::TaskRecord t;
  t.name = "build web";
  t.type = "build";
  t.state = store::TaskState::succeeded;
  t.build_id = "BABCDEF";
  t.release_id = "RABCDEF";
  j.tasks.push_back(t);
  std::string html = server::render_job(j, "12:00 <b>bold</b>\n", 0, false);
  CHECK_THAT(html, Catch::Contains("<pre id=\"log\">12:00 &lt;b&gt;bold&lt;/b&gt;\n</pre>"));
  CHECK_THAT(html, Catch::Contains("<code>RABCDEF</code>"));
  CHECK_THAT(html, Catch::Contains("http-equiv=\"refresh\""));
  j.state = store::JobState::succeeded;
  CHECK_THAT(html, !Catch::Contains("<form"));
  j.state = store::JobState::succeeded;
  CHECK_THAT(server::render_job(j, "", 10, false), !Catch::Contains("http-equiv=\"refresh\"") && Catch::Contains("10 bytes"));
  j.remote = "file:///r.git";
  j.tasks[0].index = 0;
  std::string with_actions = server::render_job(j, "", 0, true);
  CHECK_THAT(with_actions, Catch::Contains("action=\"/jobs/7/rerun\""));
  CHECK_THAT(with_actions, Catch::Contains("action=\"/jobs/7/tasks/0/promote\""));
  CHECK_THAT(with_actions, !Catch::Contains("/cancel"));
}

TEST_CASE("the jobs list shows trouble: a failing remote and its next try, a stuck worker, refused writes") {
  runner::ConfigStatus status;
  server::IndexView view;
  view.now_ms = 1'000'000;
  watcher::RemoteStatus ok, bad;
  ok.url = "https://github.com/acme/ok.git";
  bad.url = "https://user:s3cret@git.example/acme/bad.git";
  bad.failures = 3;
  bad.last_error = "cannot list <x>: refused";
  bad.next_poll_at = view.now_ms + 29'500;
  view.remotes = {ok};
  CHECK_THAT(server::render_index(status, config::Config{}, {}, std::nullopt, view), !Catch::Contains("Trouble"));
  view.stalls = {"poller: a poll of x has run for 600 s"};
  view.unrecorded = 2;
  view.remotes = {ok, bad};
  std::string html = server::render_index(status, config::Config{}, {}, std::nullopt, view);
  CHECK_THAT(html, Catch::Contains("<h2>Trouble</h2>"));
  CHECK_THAT(html, Catch::Contains("failing (3 in a row, tried again in 30 s): <code>cannot list &lt;x&gt;: refused</code>"));
  CHECK_THAT(html, !Catch::Contains("s3cret"));
  CHECK_THAT(html, !Catch::Contains("acme/ok"));
  CHECK_THAT(html, Catch::Contains("<li>stuck: poller: a poll of x has run for 600 s</li>"));
  CHECK_THAT(html, Catch::Contains("2 job end(s) kept in memory"));
}

TEST_CASE("the workflows: each one's last job, and a Run form only when the runner takes actions") {
  runner::ConfigStatus status;
  auto loaded = config::load_string("t.yml", "version: 1\nworkflows:\n  - name: deploy\n    trigger: {integration: git, "
                                             "repository: \"file:///r.git\", branch: main}\n    tasks: [{type: script, "
                                             "command: \"true\"}]\n  - name: releases\n    trigger: {integration: git, "
                                             "repository: \"file:///r.git\", branch: \"release/*\"}\n    tasks: [{type: "
                                             "script, command: \"true\"}]\n");
  REQUIRE(loaded.config);
  server::IndexView view;
  view.last_jobs["deploy"] = job(9, store::JobState::failed, "main");
  std::string html = server::render_index(status, *loaded.config, {}, std::nullopt, view);
  CHECK_THAT(html, Catch::Contains("<td><a href=\"/jobs/9\">#9</a> <span class=\"dot red\" title=\"failed\"></span> failed</td>"));
  CHECK_THAT(html, Catch::Contains("<span class=\"muted\">none yet</span>"));
  CHECK_THAT(html, !Catch::Contains("/run\""));
  view.actions = true;
  html = server::render_index(status, *loaded.config, {}, std::nullopt, view);
  CHECK_THAT(html, Catch::Contains("action=\"/workflows/deploy/run\""));
  CHECK_THAT(html, Catch::Contains("value=\"main\" aria-label=\"branch\""));
  CHECK_THAT(html, Catch::Contains("action=\"/workflows/releases/run\" class=\"run\"><input name=\"branch\" placeholder=\"branch\" size=\"12\" maxlength=\"255\" value=\"\""));
  CHECK(server::render_action_error(0, 422, "no branch 'x'").find("<a href=\"/\">back to all jobs</a>") != std::string::npos);
}
