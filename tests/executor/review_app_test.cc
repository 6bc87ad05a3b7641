// The review_app task against the stand-in CLI keeping its racks' state: the
// app created once and reused, its environment, the commands around the
// promotion, its URL; an app the runner did not create never touched.

#include "executor/harness.hh"

using cwf::store::JobState;
using cwf::store::TaskState;
using cwf::test::Harness;

namespace {

const char* kReview = R"y(  - name: review
    trigger: {integration: github, repository: acme/web, pull_request: {base: main}}
    tasks:
      - type: review_app
        app: web
        rack: acme/dev
        manifest: convox.yml
        environment: {RAILS_ENV: review, FEATURE_X: "on"}
        before_promote: {service: web, command: bin/migrate}
        after_promote: {service: web, command: bin/seed}
        expire_after: 7d
      - {type: script, command: 'echo "deployed $RELEASE of $REVIEW_APP at $REVIEW_APP_URL"'}
)y";

void review_harness(Harness& h, int pr) {
  cwf::test::sh(h.repo, "echo 'services: {web: {build: .}}' > convox.yml && git add -A && git commit -qm manifest");
  h.keep_rack_state();
  h.pull_request = pr;
  h.remote = "file:///srv/acme/web.git";
  h.load(kReview);
}

// The app's environment as the stand-in's rack keeps it.
std::string app_env(const Harness& h, const std::string& app) {
  return cwf::test::read_file(h.racks_state / "acme%dev" / app / "env");
}

}  // namespace

TEST_CASE("review_app: created, its environment set, built, migrated, promoted, seeded, its URL recorded") {
  Harness h;
  review_harness(h, 7);
  auto job = h.run();
  INFO(h.convox_calls());
  REQUIRE(job.state == JobState::succeeded);
  const auto& t = job.tasks[0];
  CHECK(t.name == "review app web");
  CHECK(t.type == "review_app");
  CHECK(t.build_id.starts_with("B"));
  CHECK(t.release_id.starts_with("R"));
  CHECK(h.current_release("web-pr-7", "acme/dev") == t.release_id);
  CHECK(app_env(h, "web-pr-7") == "FEATURE_X=on\nRAILS_ENV=review\n");

  // The CLI's calls, in order, each on the review app.
  std::string calls = h.convox_calls();
  std::vector<std::string> order = {
      "apps\tinfo\tweb-pr-7\t--rack\tacme/dev",
      "apps\tcreate\tweb-pr-7\t--rack\tacme/dev",
      "env\tset\tFEATURE_X=on\tRAILS_ENV=review\t--app\tweb-pr-7\t--rack\tacme/dev",
      "\t--app\tweb-pr-7\t--manifest\tconvox.yml\t",
      "run\tweb\tbin/migrate\t--app\tweb-pr-7\t--release\t" + t.release_id + "\t--rack\tacme/dev",
      "releases\tpromote\t" + t.release_id + "\t--app\tweb-pr-7\t--wait\t--rack\tacme/dev",
      "run\tweb\tbin/seed\t--app\tweb-pr-7\t--rack\tacme/dev",
      "services\t--app\tweb-pr-7\t--rack\tacme/dev"};
  std::size_t at = 0;
  for (const auto& call : order) {
    INFO(call);
    at = calls.find(call, at);
    CHECK(at != std::string::npos);
  }
  auto app = h.store->review_app("file:///srv/acme/web.git", "review", 7);
  REQUIRE(app);
  CHECK(app->app == "web-pr-7");
  CHECK(app->rack == "acme/dev");
  CHECK(app->repository == "acme/web");
  CHECK(app->state == "active");
  CHECK(app->url == "https://web.web-pr-7.acme-dev.convox.cloud");
  CHECK(app->last_commit == job.commit_sha);
  CHECK(app->expire_after_ms == 7LL * 86400 * 1000);
  std::string log = h.log(job, 0);
  CHECK(log.find("creating the review app web-pr-7 on acme/dev") != std::string::npos);
  CHECK(log.find("review app web-pr-7 on acme/dev is at https://web.web-pr-7.acme-dev.convox.cloud") != std::string::npos);
  CHECK(h.log(job, 1).find("deployed " + t.release_id + " of web-pr-7 at https://web.web-pr-7.acme-dev.convox.cloud") !=
        std::string::npos);

  // The next head: the same app, not created again; a new release.
  cwf::test::sh(h.repo, "echo '# more' >> convox.yml && git commit -qam more");
  std::filesystem::remove(h.calls);
  auto next = h.run();
  REQUIRE(next.state == JobState::succeeded);
  CHECK(h.convox_calls().find("apps\tcreate") == std::string::npos);
  CHECK(h.log(next, 0).find("deploying to the review app web-pr-7 on acme/dev, created for this pull request before") !=
        std::string::npos);
  CHECK(h.current_release("web-pr-7", "acme/dev") == next.tasks[0].release_id);
  CHECK(h.store->review_app("file:///srv/acme/web.git", "review", 7)->last_commit == next.commit_sha);
}

TEST_CASE("review_app: an app of that name the runner did not create is never deployed to") {
  Harness h;
  review_harness(h, 8);
  h.create_app("web-pr-8", "acme/dev");
  auto job = h.run();
  CHECK(job.state == JobState::failed);
  CHECK(job.tasks[0].reason ==
        "app web-pr-8 on acme/dev exists and was not created by convox-workflows; a review app never takes over an app "
        "(delete or rename it, or change the task's app)");
  CHECK(h.convox_calls().find("build") == std::string::npos);
  CHECK_FALSE(h.store->review_app("file:///srv/acme/web.git", "review", 8));
}

TEST_CASE("review_app: a failing before_promote leaves the release unpromoted; a job of no PR makes no app") {
  Harness h;
  review_harness(h, 9);
  h.convox_env.push_back("FAKE_CONVOX_FAIL=run");
  auto job = h.run();
  CHECK(job.state == JobState::failed);
  CHECK(job.tasks[0].reason == "the before_promote command exited with 1: ERROR: exit 1");
  CHECK(h.current_release("web-pr-9", "acme/dev").empty());
  CHECK(job.tasks[0].release_id.starts_with("R"));  // built, kept for a person to look at

  h.pull_request.reset();
  auto none = h.run();
  CHECK(none.state == JobState::failed);
  CHECK(none.tasks[0].reason == "a review app is made for a pull request; this job runs none (exec)");
}

TEST_CASE("review_app teardown: deletes the app it created, once; never one it did not create") {
  Harness h;
  review_harness(h, 7);
  REQUIRE(h.run().state == JobState::succeeded);
  cwf::config::Workflow teardown;
  teardown.name = "review";
  cwf::config::Task del;
  del.type = cwf::config::TaskType::review_app;
  del.teardown = true;
  del.name = "delete web-pr-7 on acme/dev";
  del.app = "web-pr-7";
  del.rack = "acme/dev";
  teardown.tasks.push_back(del);
  auto job = h.run(nullptr, &teardown);
  INFO(h.convox_calls());
  REQUIRE(job.state == JobState::succeeded);
  CHECK_FALSE(std::filesystem::exists(h.racks_state / "acme%dev/web-pr-7"));
  auto app = h.store->review_app("file:///srv/acme/web.git", "review", 7);
  REQUIRE(app);
  CHECK(app->state == "deleted");
  CHECK(app->deleted_at);
  // Again (a rerun): nothing to delete, nothing called.
  std::filesystem::remove(h.calls);
  CHECK(h.run(nullptr, &teardown).state == JobState::succeeded);
  CHECK_FALSE(std::filesystem::exists(h.calls));

  // Another PR's app of the runner's making is not this one: refused.
  h.create_app("web-pr-12", "acme/dev");
  del.app = "web-pr-12";
  teardown.tasks = {del};
  auto refused = h.run(nullptr, &teardown);
  CHECK(refused.state == JobState::failed);
  CHECK(refused.tasks[0].reason == "app web-pr-12 on acme/dev was not created by convox-workflows; it is not deleted");
  CHECK(std::filesystem::exists(h.racks_state / "acme%dev/web-pr-12"));
}
