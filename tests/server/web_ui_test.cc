// The web UI's HTML: indicators by state, links to jobs, escaping of anything that came from a push.

#include <catch2/catch.hpp>

#include "config/loader.hh"
#include "executor/job_log.hh"
#include "server/log_html.hh"
#include "server/sessions.hh"
#include "server/templates.hh"
#include "server/web_assets.hh"
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
  std::string html = server::render_index(status, config, jobs, 1, {}, {});
  CHECK_THAT(html, Catch::Contains("<span class=\"dot amber\" title=\"running\">"));
  CHECK_THAT(html, Catch::Contains("<span class=\"dot grey\" title=\"skipped\">"));
  CHECK_THAT(html, Catch::Contains("<span class=\"dot red\" title=\"failed\">"));
  CHECK_THAT(html, Catch::Contains("<span class=\"dot green\" title=\"succeeded\">"));
  CHECK_THAT(html, Catch::Contains("<a href=\"/jobs/2\">"));
  CHECK_THAT(html, Catch::Contains("<td class=\"duration\" data-started=\"1795870001000\" data-finished=\"1795870004500\">3.5s</td>"));
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
  server::Viewer viewer;
  viewer.now_ms = j.created_at + 3 * 60 * 1000 + 500;
  std::string html = server::render_index(status, *loaded.config, {j}, 12, view, viewer);
  CHECK_THAT(html, Catch::Contains("<td><a href=\"/jobs/12\">#12</a></td>"));
  CHECK_THAT(html, Catch::Contains("\">3 min ago</time>"));
  CHECK_THAT(html, Catch::Contains("<time datetime=\"" + executor::format_time(j.created_at) + "\" title=\""));
  CHECK_THAT(html, Catch::Contains("<option value=\"deploy\" selected>deploy</option>"));
  CHECK_THAT(html, Catch::Contains("<option value=\"failed\" selected>failed</option>"));
  CHECK_THAT(html, Catch::Contains("<input name=\"branch\" value=\"a&amp;b\""));
  CHECK_THAT(html, Catch::Contains("<a href=\"/?workflow=deploy&amp;state=failed&amp;branch=a%26b&amp;before=12\">older jobs</a>"));
  CHECK_THAT(html, Catch::Contains("<a href=\"/\">clear</a>"));
  view.filter.workflow = "gone-one";
  CHECK_THAT(server::render_index(status, *loaded.config, {}, std::nullopt, view, viewer),
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
  std::string html = server::render_index(status, config, {j}, std::nullopt, {}, {});
  CHECK_THAT(html, Catch::Contains("fix &lt;img src=x onerror=alert(1)&gt; <span class=\"muted\">Mallory &amp; co</span>"));
  CHECK_THAT(html, Catch::Contains("<a href=\"https://github.com/acme/web/pull/7&quot;&gt;&lt;script&gt;\">PR #7</a> <code>feature</code>"));
  CHECK_THAT(html, !Catch::Contains("<script>"));
  CHECK_THAT(html, !Catch::Contains("<img"));
}

TEST_CASE("a rejected workflows file shows its errors") {
  runner::ConfigStatus status;
  status.ready = false;
  status.errors = {"wf.yml:3:5: error: <bad>"};
  std::string html = server::render_index(status, config::Config{}, {}, std::nullopt, {}, {});
  CHECK_THAT(html, Catch::Contains("not ready"));
  CHECK_THAT(html, Catch::Contains("wf.yml:3:5: error: &lt;bad&gt;"));
  CHECK_THAT(html, Catch::Contains("No jobs yet"));
}

TEST_CASE("a job's page: tasks, the log escaped, a live stream and a reload without script only while it runs") {
  auto j = job(7, store::JobState::running, "main");
  store::TaskRecord t;
  t.name = "build web";
  t.type = "build";
  t.state = store::TaskState::succeeded;
  t.build_id = "BABCDEF";
  t.release_id = "RABCDEF";
  j.tasks.push_back(t);
  server::JobView view;
  view.log_html = server::log_html("12:00 <b>bold</b>\n");
  view.events = "/jobs/7/events?from=0-1--1-0";
  std::string html = server::render_job(j, view, {});
  CHECK_THAT(html, Catch::Contains("<pre id=\"log\" data-events=\"/jobs/7/events?from=0-1--1-0\">12:00 &lt;b&gt;bold&lt;/b&gt;\n</pre>"));
  CHECK_THAT(html, Catch::Contains("<code>RABCDEF</code>"));
  CHECK_THAT(html, Catch::Contains("<noscript><meta http-equiv=\"refresh\" content=\"5\"></noscript>"));
  CHECK_THAT(html, Catch::Contains("<a href=\"/api/jobs/7/log\" id=\"raw-log\">raw log</a>"));
  CHECK_THAT(html, !Catch::Contains("<form"));
  CHECK_THAT(html, !Catch::Contains("Sign in"));
  j.state = store::JobState::succeeded;
  view = {};
  view.truncated = 10;
  CHECK_THAT(server::render_job(j, view, {}), !Catch::Contains("http-equiv=\"refresh\"") && Catch::Contains("10 bytes") &&
                                                 !Catch::Contains("data-events"));
  j.remote = "file:///r.git";
  j.tasks[0].index = 0;
  server::Viewer anonymous;
  anonymous.can_sign_in = true;
  anonymous.path = "/jobs/7";
  CHECK_THAT(server::render_job(j, view, anonymous), Catch::Contains("<a href=\"/login?next=%2Fjobs%2F7\">Sign in</a> to cancel") &&
                                                       !Catch::Contains("<form method=\"post\" action=\"/jobs"));
  server::Viewer signed_in = anonymous;
  signed_in.csrf = "c5rf";
  std::string with_actions = server::render_job(j, view, signed_in);
  CHECK_THAT(with_actions, Catch::Contains("action=\"/jobs/7/rerun\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"c5rf\">"));
  CHECK_THAT(with_actions, Catch::Contains("action=\"/jobs/7/tasks/0/promote\""));
  CHECK_THAT(with_actions, Catch::Contains("Promote RABCDEF"));
  CHECK_THAT(with_actions, !Catch::Contains("/cancel"));
  CHECK_THAT(with_actions, Catch::Contains("action=\"/logout\""));
  CHECK_THAT(with_actions, !Catch::Contains("name=\"token\""));  // signed in: no token pasted
}

TEST_CASE("a job's commit links to its forge only from an https remote of one") {
  auto j = job(1, store::JobState::succeeded, "main");
  j.commit_sha = "0123456789abcdef0123456789abcdef01234567";
  j.integration = "github";
  j.remote = "https://github.com/acme/web.git";
  CHECK(server::commit_url(j) == "https://github.com/acme/web/commit/" + j.commit_sha);
  j.integration = "gitlab";
  j.remote = "https://gitlab.example/group/sub/web.git";
  CHECK(server::commit_url(j) == "https://gitlab.example/group/sub/web/-/commit/" + j.commit_sha);
  j.integration = "git";
  CHECK(server::commit_url(j).empty());
  j.integration = "github";
  j.remote = "git@github.com:acme/web.git";
  CHECK(server::commit_url(j).empty());
  j.remote = "https://user:tok@github.com/acme/web.git";
  CHECK(server::commit_url(j).find("tok") == std::string::npos);
  j.remote = "https://github.com/acme/web.git";
  j.commit_sha = "\"><script>";
  CHECK(server::commit_url(j).empty());
  j.commit_sha = "0123456789abcdef0123456789abcdef01234567";
  CHECK_THAT(server::render_job_head(j, std::nullopt, {}),
             Catch::Contains("<a href=\"https://github.com/acme/web/commit/0123456789abcdef0123456789abcdef01234567\"><code>"));
}

TEST_CASE("the jobs list shows trouble: a failing remote and its next try, a stuck worker, refused writes") {
  runner::ConfigStatus status;
  server::IndexView view;
  server::Viewer viewer;
  viewer.now_ms = 1'000'000;
  watcher::RemoteStatus ok, bad;
  ok.url = "https://github.com/acme/ok.git";
  bad.url = "https://user:s3cret@git.example/acme/bad.git";
  bad.failures = 3;
  bad.last_error = "cannot list <x>: refused";
  bad.next_poll_at = viewer.now_ms + 29'500;
  view.remotes = {ok};
  CHECK_THAT(server::render_index(status, config::Config{}, {}, std::nullopt, view, viewer), !Catch::Contains("Trouble"));
  view.stalls = {"poller: a poll of x has run for 600 s"};
  view.unrecorded = 2;
  view.store_error = {"job store: finish job: database or disk is full", viewer.now_ms - 120'000};
  view.remotes = {ok, bad};
  std::string html = server::render_index(status, config::Config{}, {}, std::nullopt, view, viewer);
  CHECK_THAT(html, Catch::Contains("<h2>Trouble</h2>"));
  CHECK_THAT(html, Catch::Contains("failing (3 in a row, tried again in 30 s): <code>cannot list &lt;x&gt;: refused</code>"));
  CHECK_THAT(html, !Catch::Contains("s3cret"));
  CHECK_THAT(html, !Catch::Contains("acme/ok"));
  CHECK_THAT(html, Catch::Contains("<li>stuck: poller: a poll of x has run for 600 s</li>"));
  CHECK_THAT(html, Catch::Contains("2 job end(s) kept in memory"));
  CHECK_THAT(html, Catch::Contains("<li>the job store's last error, 2 min ago: <code>job store: finish job: database or disk is full</code></li>"));
  view = {};
  store::Notification n;
  n.job_id = 7;
  n.event = "failed";
  n.target = R"({"kind":"slack","url_env":"SLACK_URL"})";
  n.attempts = 1;
  n.last_error = "HTTP 404: <no_service>";
  n.finished_at = viewer.now_ms - 60'000;
  view.gave_up = n;
  n.event = "started";
  n.target = R"({"kind":"webhook","url":"https://hooks.acme.example/t0ken","secret_env":"S"})";
  n.attempts = 3;
  n.last_error = "HTTP 503";
  view.retrying = {n};
  html = server::render_index(status, config::Config{}, {}, std::nullopt, view, viewer);
  CHECK_THAT(html, Catch::Contains("<li>a notification was given up 1 min ago: job 7 (failed) to <code>slack ($SLACK_URL)</code> "
                                   "after 1 attempt(s): <code>HTTP 404: &lt;no_service&gt;</code></li>"));
  CHECK_THAT(html, Catch::Contains("notification of job 7 (started) to <code>webhook https://hooks.acme.example/…</code> "
                                   "not delivered after 3 attempt(s), being retried: <code>HTTP 503</code>"));
  CHECK_THAT(html, !Catch::Contains("t0ken"));
  view = {};
  n.finished_at = viewer.now_ms - 2 * 86400'000;  // given up long ago: history, not trouble
  view.gave_up = n;
  CHECK_THAT(server::render_index(status, config::Config{}, {}, std::nullopt, view, viewer), !Catch::Contains("Trouble"));
  view = {};
  view.store_error = {"job store: old", viewer.now_ms - 2 * 3600'000};
  CHECK_THAT(server::render_index(status, config::Config{}, {}, std::nullopt, view, viewer), !Catch::Contains("Trouble"));
}

TEST_CASE("the workflows: each one's last job, and a Run form only when the runner takes actions") {
  runner::ConfigStatus status;
  auto loaded = config::load_string("t.yml", "version: 1\nworkflows:\n  - name: deploy\n    trigger: {integration: git, "
                                             "repository: \"file:///r.git\", branch: main}\n    tasks: [{type: script, "
                                             "command: \"true\"}]\n  - name: releases\n    trigger: {integration: git, "
                                             "repository: \"file:///r.git\", branch: \"release/*\"}\n    tasks: [{type: "
                                             "script, command: \"true\"}]\n");
  REQUIRE(loaded.config);
  std::map<std::string, store::JobRecord> last_jobs;
  last_jobs["deploy"] = job(9, store::JobState::failed, "main");
  std::string html = server::render_workflows(*loaded.config, last_jobs, {});
  CHECK_THAT(html, Catch::Contains("<td><a href=\"/jobs/9\">#9</a> <span class=\"dot red\" title=\"failed\"></span> failed</td>"));
  CHECK_THAT(html, Catch::Contains("<span class=\"muted\">none yet</span>"));
  CHECK_THAT(html, !Catch::Contains("/run\""));
  CHECK_THAT(html, !Catch::Contains("Sign in"));  // no API token: nobody signs in
  server::Viewer viewer;
  viewer.can_sign_in = true;
  html = server::render_workflows(*loaded.config, last_jobs, viewer);
  CHECK_THAT(html, Catch::Contains("<a href=\"/login\">sign in to run</a>") && Catch::Contains("<a id=\"sign-in\" href=\"/login\">Sign in</a>"));
  viewer.csrf = "f0rm";
  html = server::render_workflows(*loaded.config, last_jobs, viewer);
  CHECK_THAT(html, Catch::Contains("action=\"/workflows/deploy/run\" class=\"run\"><input type=\"hidden\" name=\"csrf\" value=\"f0rm\">"));
  CHECK_THAT(html, Catch::Contains("value=\"main\" aria-label=\"branch of deploy\""));
  CHECK_THAT(html, Catch::Contains("action=\"/workflows/releases/run\" class=\"run\"><input type=\"hidden\" name=\"csrf\" value=\"f0rm\"><input name=\"branch\" placeholder=\"branch\" size=\"12\" maxlength=\"255\" value=\"\" aria-label"));
  CHECK_THAT(html, !Catch::Contains("sign in to run"));
  CHECK_THAT(html, Catch::Contains("<a href=\"/workflows\">Workflows</a>"));  // every page's navigation
  CHECK(server::render_action_error(0, 422, "no branch 'x'", {}).find("<a href=\"/\">back to all jobs</a>") != std::string::npos);
}

TEST_CASE("every template parses and renders; the pages name their files by a hash of them") {
  int templates = 0;
  for (const auto& [name, text] : server::web_assets()) {
    if (name.rfind("templates/", 0) != 0) continue;
    std::string base(name.substr(10, name.size() - 15));
    CHECK_NOTHROW(server::render_template(base, nlohmann::json::object()));
    ++templates;
  }
  CHECK(templates >= 6);
  CHECK_THROWS(server::render_template("no-such", nlohmann::json::object()));
  CHECK(server::web_assets().count("static/app.js") == 1);
  CHECK(server::web_assets().count("static/app.css") == 1);
  CHECK(server::asset_version().size() == 12);
  std::string page = server::render_action_error(0, 500, "x", {});
  CHECK_THAT(page, Catch::Contains("<link rel=\"stylesheet\" href=\"/static/app.css?v=" + server::asset_version() + "\">"));
  CHECK_THAT(page, Catch::Contains("<script src=\"/static/app.js?v=" + server::asset_version() + "\" defer></script>"));
  CHECK_THAT(page, !Catch::Contains("style=\"") && !Catch::Contains("<style"));  // the CSP allows no inline style
  // An empty string is false; anything the view gives is escaped unless the template asks for {{{ }}}.
  CHECK(server::render_template("message", {{"message", "<b>'x'</b>"}, {"status", "418"}, {"back", ""}}) ==
        "<p class=\"err\" role=\"alert\">&lt;b&gt;&#39;x&#39;&lt;/b&gt; (HTTP 418)</p>\n<p><a href=\"\"></a></p>\n");
}

TEST_CASE("sign-in sessions: random, expiring, bounded, ended on sign-out") {
  server::SessionStore sessions;
  auto a = sessions.create(1000), b = sessions.create(1000);
  CHECK(a.id.size() == 64);
  CHECK(a.id != b.id);
  CHECK(a.csrf != a.id);
  CHECK(sessions.find(a.id, 2000)->csrf == a.csrf);
  CHECK_FALSE(sessions.find(a.id, 1000 + server::SessionStore::kLifetimeMs));
  CHECK_FALSE(sessions.find("short", 2000));
  CHECK_FALSE(sessions.find(std::string(64, '0'), 2000));
  sessions.end(a.id);
  CHECK_FALSE(sessions.find(a.id, 2000));
  for (std::size_t i = 0; i < server::SessionStore::kMaxSessions + 10; ++i) sessions.create(5000 + static_cast<std::int64_t>(i));
  CHECK(sessions.size() == server::SessionStore::kMaxSessions);
  CHECK_FALSE(sessions.find(b.id, 6000));  // the oldest went first
}
