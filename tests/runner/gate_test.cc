// The commit-status gate with a real job store, against the stand-in forge on
// loopback: every case the forges can be in, and what the job does.

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "forge/fake_forge.hh"
#include "runner/gate.hh"
#include "test_support.hh"

using namespace cwf;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::string kSha(40, 'a'), kNewer(40, 'b');

json status(const char* context, const char* state) { return {{"context", context}, {"state", state}}; }

// A gate over a store in a temp dir and both forges on one stand-in.
struct Gated {
  test::TempDir tmp;
  test::FakeForge fake;
  std::unique_ptr<store::JobStore> store;
  std::unique_ptr<forge::ForgeApi> github, gitlab;
  std::mutex mu;
  std::vector<std::int64_t> passed, ended, waited;
  std::unique_ptr<runner::Gate> gate;

  explicit Gated(runner::GateOptions o = options()) {
    auto s = store::JobStore::open(tmp.path());
    REQUIRE(s.ok());
    store = std::move(*s);
    forge::HttpOptions http;
    http.timeout = 300ms;
    http.first_backoff = 10ms;
    github = forge::make_github(fake.url(), "t", http);
    gitlab = forge::make_gitlab(fake.url(), "t", http);
    runner::Gate::Hooks hooks;
    hooks.passed = [this](const store::JobRecord& j) { std::lock_guard l(mu); passed.push_back(j.id); };
    hooks.waiting = [this](const store::JobRecord& j) { std::lock_guard l(mu); waited.push_back(j.id); };
    hooks.ended = [this](std::int64_t id) { std::lock_guard l(mu); ended.push_back(id); };
    gate = std::make_unique<runner::Gate>(*store, std::map<std::string, forge::ForgeApi*>{{"github", github.get()},
                                                                                          {"gitlab", gitlab.get()}},
                                          o, hooks);
  }
  ~Gated() { gate->stop(); }

  static runner::GateOptions options() {
    runner::GateOptions o;
    o.status_grace = 400ms;
    o.status_timeout = 5s;
    o.first_backoff = 50ms;
    o.max_backoff = 200ms;
    return o;
  }

  std::int64_t hold(const std::string& integration = "github", const std::string& repo = "acme/web",
                    const std::string& sha = kSha, const std::string& branch = "main") {
    store::NewJob j;
    j.workflow = "deploy";
    j.repository = repo;
    j.branch = branch;
    j.commit_sha = sha;
    j.trigger = "push";
    j.remote = "file:///srv/" + repo + ".git";
    j.integration = integration;
    j.state = store::JobState::waiting;
    j.tasks = {{"build", "build"}};
    auto id = store->create_job(j, store::now_ms());
    gate->hold(*store->get_job(id));
    return id;
  }
  store::JobRecord job(std::int64_t id) { return *store->get_job(id); }
  bool was_passed(std::int64_t id) {
    std::lock_guard l(mu);
    return std::find(passed.begin(), passed.end(), id) != passed.end();
  }
  bool was_ended(std::int64_t id) {
    std::lock_guard l(mu);
    return std::find(ended.begin(), ended.end(), id) != ended.end();
  }
};


}  // namespace

TEST_CASE("gate: a green commit goes to the scheduler at once") {
  Gated g;
  g.fake.github("acme/web", kSha, json::array({status("ci/test", "success")}), json::array());
  auto id = g.hold();
  REQUIRE(test::eventually([&] { return g.was_passed(id); }, 2s));
  CHECK(g.job(id).state == store::JobState::queued);
  CHECK(g.gate->waiting() == 0);
}

TEST_CASE("gate: pending, then success (noticed by polling, sooner by a webhook)") {
  Gated g;
  g.fake.github("acme/web", kSha, json::array({status("ci/test", "pending")}), json::array());
  auto id = g.hold();
  REQUIRE(test::eventually([&] { return g.job(id).reason == "waiting for the commit's status: ci/test (pending)"; }));
  CHECK(g.job(id).state == store::JobState::waiting);
  CHECK(g.waited == std::vector<std::int64_t>{id});
  std::this_thread::sleep_for(300ms);
  CHECK_FALSE(g.was_passed(id));
  g.fake.github("acme/web", kSha, json::array({status("ci/test", "success")}), json::array());
  REQUIRE(test::eventually([&] { return g.was_passed(id); }, 2s));  // within the 200 ms backoff cap

  // A webhook's recheck reads at once, however long the backoff.
  auto slow = Gated::options();
  slow.first_backoff = slow.max_backoff = 60s;
  Gated w(slow);
  w.fake.github("acme/web", kSha, json::array({status("ci/test", "pending")}), json::array());
  auto waiting = w.hold();
  REQUIRE(test::eventually([&] { return !w.job(waiting).reason.empty(); }));
  w.fake.github("acme/web", kSha, json::array({status("ci/test", "success")}), json::array());
  CHECK(w.gate->recheck("github", "acme/web", kNewer) == 0);  // another commit
  CHECK(w.gate->recheck("github", "acme/web", kSha) == 1);
  CHECK(test::eventually([&] { return w.was_passed(waiting); }, 1s));
}

TEST_CASE("gate: failure and error skip the job, naming the contexts") {
  Gated g;
  g.fake.github("acme/web", kSha, json::array({status("ci/test", "failure"), status("ci/lint", "success")}),
                json::array());
  g.fake.github("acme/web", kNewer, json::array({status("ci/e2e", "error")}), json::array());
  auto failed = g.hold();
  auto errored = g.hold("github", "acme/web", kNewer, "other");
  REQUIRE(test::eventually([&] { return g.was_ended(failed) && g.was_ended(errored); }));
  auto j = g.job(failed);
  CHECK(j.state == store::JobState::skipped);
  CHECK(j.reason == "the commit's status is failing: ci/test (failure)");
  CHECK(j.tasks[0].state == store::TaskState::skipped);
  CHECK(g.job(errored).reason == "the commit's status is failing: ci/e2e (error)");
  CHECK(g.passed.empty());
}

TEST_CASE("gate: no status yet, then one appears within the grace - or none does, and the job runs") {
  Gated g;
  auto id = g.hold();
  REQUIRE(test::eventually([&] { return g.job(id).reason == "no commit status yet; waiting up to 0s for one to appear"; }));
  g.fake.github("acme/web", kSha, json::array({status("ci/test", "pending")}), json::array());
  REQUIRE(test::eventually([&] { return g.job(id).reason == "waiting for the commit's status: ci/test (pending)"; }));
  std::this_thread::sleep_for(500ms);  // past the grace: a pending status still holds it
  CHECK_FALSE(g.was_passed(id));
  g.fake.github("acme/web", kSha, json::array({status("ci/test", "success")}), json::array());
  REQUIRE(test::eventually([&] { return g.was_passed(id); }));

  auto silent = g.hold("github", "acme/quiet");
  auto started = std::chrono::steady_clock::now();
  REQUIRE(test::eventually([&] { return g.was_passed(silent); }));
  CHECK(std::chrono::steady_clock::now() - started >= 350ms);
}

TEST_CASE("gate: check runs only") {
  Gated g;
  g.fake.github("acme/web", kSha, json::array(), json::array({{{"name", "build"}, {"status", "in_progress"}}}));
  auto id = g.hold();
  REQUIRE(test::eventually([&] { return g.job(id).reason == "waiting for the commit's status: build (in_progress)"; }));
  g.fake.github("acme/web", kSha, json::array(),
                json::array({{{"name", "build"}, {"status", "completed"}, {"conclusion", "success"}}}));
  REQUIRE(test::eventually([&] { return g.was_passed(id); }));
}

TEST_CASE("gate: GitLab, a failed job that may fail does not block") {
  Gated g;
  g.fake.gitlab("group/app", kSha,
                json::array({{{"id", 1}, {"name", "flaky"}, {"status", "failed"}, {"allow_failure", true}},
                             {{"id", 2}, {"name", "test"}, {"status", "success"}, {"allow_failure", false}}}));
  g.fake.gitlab("group/app", kNewer,
                json::array({{{"id", 3}, {"name", "test"}, {"status", "failed"}, {"allow_failure", false}}}));
  auto ok = g.hold("gitlab", "group/app");
  auto bad = g.hold("gitlab", "group/app", kNewer, "dev");
  REQUIRE(test::eventually([&] { return g.was_passed(ok) && g.was_ended(bad); }));
  CHECK(g.job(bad).reason == "the commit's status is failing: test (failed)");
}

TEST_CASE("gate: 500s and a 429 delay the job, which runs once the forge recovers - the reason shows the outage") {
  Gated g;
  g.fake.github("acme/web", kSha, json::array({status("ci/test", "success")}), json::array());
  g.fake.trouble(6, {500, {}});
  g.fake.trouble(1, {429, {{"Retry-After", "1"}}});
  auto id = g.hold();
  REQUIRE(test::eventually([&] { return g.job(id).reason.find("cannot read the commit's status (retrying)") == 0; }));
  CHECK_THAT(g.job(id).reason, Catch::Contains("HTTP 500"));
  REQUIRE(test::eventually([&] { return g.was_passed(id); }, 8s));
  CHECK(g.github->http().counts().at("5xx") == 6);
  CHECK(g.github->http().counts().at("429") == 1);
}

TEST_CASE("gate: a reply that never comes times out, and the job waits for the next reading") {
  Gated g;
  g.fake.github("acme/web", kSha, json::array({status("ci/test", "success")}), json::array());
  g.fake.trouble(3, {0, {}});
  auto id = g.hold();
  REQUIRE(test::eventually([&] { return g.job(id).reason.find("no answer from") != std::string::npos; }, 5s));
  REQUIRE(test::eventually([&] { return g.was_passed(id); }, 8s));
}

TEST_CASE("gate: a newer push supersedes the waiting job - cancel ends one - --status-timeout skips one") {
  auto o = Gated::options();
  o.status_timeout = 600ms;
  Gated g(o);
  g.fake.github("acme/web", "*", json::array({status("ci/test", "pending")}), json::array());
  auto old = g.hold();
  auto other_branch = g.hold("github", "acme/web", kSha, "release");
  REQUIRE(test::eventually([&] { return !g.job(old).reason.empty(); }));
  auto ids = g.gate->supersede("file:///srv/acme/web.git", "main", kNewer);
  CHECK(ids == std::vector<std::int64_t>{old});
  CHECK(g.job(old).state == store::JobState::skipped);
  CHECK(g.job(old).reason ==
        "superseded: main moved to bbbbbbbbbbbb while this job waited for its commit's status");
  CHECK(g.gate->supersede("file:///srv/acme/web.git", "release", kSha).empty());  // its own commit

  auto cancelled = g.hold("github", "acme/web", kSha, "dev");
  CHECK(g.gate->cancel(cancelled, "cancelled over the API"));
  CHECK(g.job(cancelled).state == store::JobState::cancelled);
  CHECK_FALSE(g.gate->cancel(cancelled, "again"));

  REQUIRE(test::eventually([&] { return g.was_ended(other_branch); }, 3s));
  CHECK(g.job(other_branch).reason ==
        "the commit's status was still pending after --status-timeout (0s): ci/test (pending)");
}
