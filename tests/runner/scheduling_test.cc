// The scheduling rules: parallelism, one job per workflow, app locks in push order, concurrency policies.

#include <catch2/catch.hpp>

#include "config/loader.hh"
#include "runner/scheduling.hh"

using namespace cwf;
using runner::Slot;
using Ids = std::vector<std::int64_t>;

TEST_CASE("jobs start in order up to the parallel limit") {
  std::vector<Slot> queued = {{1, "a", {}}, {2, "b", {}}, {3, "c", {}}};
  CHECK(runner::startable(queued, {}, 2) == Ids{1, 2});
  CHECK(runner::startable(queued, {{9, "z", {}}}, 2) == Ids{1});
  CHECK(runner::startable(queued, {{8, "y", {}}, {9, "z", {}}}, 2).empty());
}

TEST_CASE("a workflow runs one job at a time, oldest first") {
  std::vector<Slot> queued = {{1, "a", {}}, {2, "a", {}}, {3, "b", {}}};
  CHECK(runner::startable(queued, {}, 4) == Ids{1, 3});
  CHECK(runner::startable({{2, "a", {}}}, {{1, "a", {}}}, 4).empty());
}

TEST_CASE("two jobs never act on one app at once, whatever their workflows") {
  std::vector<Slot> running = {{1, "staging", {"/web"}}};
  CHECK(runner::startable({{2, "production", {"/web"}}}, running, 4).empty());
  // The same app name on another rack is another app.
  CHECK(runner::startable({{2, "production", {"acme/prod/web"}}}, running, 4) == Ids{2});
}

TEST_CASE("an app goes to the oldest job that wants it, never to a younger one first") {
  // Job 2 waits for web (held by 1); job 3 also wants web and must not overtake it,
  // while job 4 (another app) may start.
  std::vector<Slot> running = {{1, "a", {"/web"}}};
  std::vector<Slot> queued = {{2, "b", {"/web", "/api"}}, {3, "c", {"/web"}}, {4, "d", {"/worker"}}, {5, "e", {"/api"}}};
  CHECK(runner::startable(queued, running, 8) == Ids{4});
}

TEST_CASE("the apps of a workflow are those its build, promote and run tasks act on") {
  auto r = config::load_string("t.yml", R"(version: 1
workflows:
  - name: w
    trigger: {integration: git, repository: "file:///r.git", branch: main}
    tasks:
      - {type: script, command: "true"}
      - {type: build, app: web, rack: acme/prod}
      - {type: run, app: api, service: web, command: migrate}
)");
  REQUIRE(r.config);
  CHECK(runner::apps_of(r.config->workflows[0]) == std::set<std::string>{"acme/prod/web", "/api"});
}

TEST_CASE("concurrency: queue waits, skip-if-running skips, cancel-previous supersedes") {
  Slot next{5, "w", {}};
  std::vector<Slot> running = {{3, "w", {}}, {1, "other", {}}};
  std::vector<Slot> queued = {{4, "w", {}}, {2, "other", {}}};

  auto q = runner::admit(next, config::Concurrency::queue, queued, running);
  CHECK_FALSE(q.skip);
  CHECK(q.cancel_running.empty());
  CHECK(q.cancel_queued.empty());

  auto s = runner::admit(next, config::Concurrency::skip_if_running, queued, running);
  CHECK(s.skip);
  CHECK_THAT(s.reason, Catch::Contains("job 3") && Catch::Contains("running"));
  CHECK_FALSE(runner::admit(next, config::Concurrency::skip_if_running, {}, {{1, "other", {}}}).skip);

  auto c = runner::admit(next, config::Concurrency::cancel_previous, queued, running);
  CHECK_FALSE(c.skip);
  CHECK(c.cancel_running == Ids{3});
  CHECK(c.cancel_queued == Ids{4});
}

TEST_CASE("a pull request's review app is its own app: PRs' jobs lock web-pr-N, not web") {
  auto r = config::load_string("t.yml", R"(version: 1
workflows:
  - name: review
    trigger: {integration: github, repository: acme/web, pull_request: }
    tasks:
      - {type: review_app, app: web, rack: acme/dev}
      - {type: run, app: api, rack: acme/dev, service: web, command: "true"}
)");
  REQUIRE(r.config);
  const auto& wf = r.config->workflows[0];
  CHECK(runner::apps_of(wf, 7) == std::set<std::string>{"acme/dev/web-pr-7", "acme/dev/api"});
  CHECK(runner::apps_of(wf, 8) == std::set<std::string>{"acme/dev/web-pr-8", "acme/dev/api"});
  // Two PRs' jobs (turns "review#7", "review#8") start together; one PR's wait their turn.
  std::vector<Slot> queued = {{1, "review#7", {"acme/dev/web-pr-7"}}, {2, "review#8", {"acme/dev/web-pr-8"}},
                              {3, "review#7", {"acme/dev/web-pr-7"}}};
  CHECK(runner::startable(queued, {}, 4) == Ids{1, 2});
}
