#include <catch2/catch.hpp>

#include "config/loader.hh"

using namespace cwf::config;

namespace {

Config must_load(const std::string& text) {
  auto r = load_string("t.yml", text);
  for (const auto& d : r.diags.items()) INFO(format_diagnostic("t.yml", d));
  REQUIRE(r.config.has_value());
  return *r.config;
}

const char* kSeed = R"(version: 1
defaults: {rack: acme/prod, timeout: 20m}
workflows:
  - name: deploy
    trigger: {integration: github, repository: acme/web, branch: main}
    tasks:
      - {type: build, app: web-staging, promote: true, health_check: {url: "https://s.example/up"}}
      - {type: build, app: web, rack: acme/other, timeout: 2h}
      - {type: run, app: web, service: web, command: bin/migrate}
      - {type: promote, app: web}
      - {type: script, command: "echo done"}
)";

}  // namespace

TEST_CASE("defaults apply where a task sets none") {
  Config c = must_load(kSeed);
  const auto& tasks = c.workflows.at(0).tasks;
  CHECK(tasks[0].rack == "acme/prod");
  CHECK(tasks[0].timeout == Seconds{1200});
  CHECK(tasks[1].rack == "acme/other");
  CHECK(tasks[1].timeout == Seconds{7200});
  CHECK(tasks[0].manifest == "docker-compose.yml");
  CHECK(tasks[4].timeout == Seconds{1200});
  CHECK(tasks[4].rack.empty());
  CHECK(c.workflows[0].trigger.require_status);
  CHECK(c.workflows[0].concurrency == Concurrency::queue);
}

TEST_CASE("health check defaults") {
  Config c = must_load(kSeed);
  const auto& hc = c.workflows[0].tasks[0].health_check;
  REQUIRE(hc.has_value());
  CHECK(hc->timeout == Seconds{300});
  CHECK(hc->interval == Seconds{5});
  CHECK(hc->expect_min == 200);
  CHECK(hc->expect_max == 399);
}

TEST_CASE("promote and run use the release of the nearest earlier build of their app") {
  Config c = must_load(kSeed);
  const auto& tasks = c.workflows[0].tasks;
  CHECK(tasks[2].release_from_task == 1);
  CHECK(tasks[3].release_from_task == 1);
  CHECK(tasks[3].name == "promote web");
}

TEST_CASE("a run with no earlier build uses the current release") {
  Config c = must_load(R"(version: 1
workflows:
  - name: migrate
    trigger: {integration: gitlab, repository: a/b/c, branch: main}
    tasks: [{type: run, app: api, service: web, command: x}]
)");
  CHECK_FALSE(c.workflows[0].tasks[0].release_from_task.has_value());
  CHECK(c.workflows[0].tasks[0].release.empty());
}

TEST_CASE("plain git never requires a status") {
  Config c = must_load(R"(version: 1
workflows:
  - name: t
    trigger: {integration: git, repository: "file:///srv/t.git", branch: main}
    tasks: [{type: script, argv: [make, test]}]
)");
  CHECK_FALSE(c.workflows[0].trigger.require_status);
  CHECK(c.workflows[0].tasks[0].argv == std::vector<std::string>{"make", "test"});
}

TEST_CASE("warnings never block") {
  auto r = load_string("t.yml", R"(version: 1
workflows:
  - name: t
    trigger: {integration: git, repository: "file:///srv/t.git", branch: main}
    tasks:
      - {type: script, name: step, command: a, env: {GIT_BRANCH: x}}
      - {type: script, name: step, command: b}
)");
  REQUIRE(r.config.has_value());
  REQUIRE(r.diags.items().size() == 2);
  for (const auto& d : r.diags.items()) CHECK(d.severity == Severity::warning);
  CHECK(r.diags.sorted()[0].message.find("GIT_BRANCH is set by the runner") != std::string::npos);
  CHECK(r.diags.sorted()[1].message.find("same name as tasks[0]") != std::string::npos);
}

TEST_CASE("every error of a file is reported in one run") {
  auto r = load_string("t.yml", R"(version: 1
workflows:
  - name: A
    trigger: {integration: github, repository: x, branch: main}
    tasks: [{type: build}]
  - name: b
    trigger: {integration: svn, repository: x, branch: main}
    tasks: [{type: script, command: x, timeout: soon}]
)");
  CHECK_FALSE(r.config.has_value());
  CHECK(r.diags.error_count() == 5);
}

TEST_CASE("a map at the top is required") {
  for (const char* text : {"- a\n- b\n", "just a string\n", "42\n"}) {
    auto r = load_string("t.yml", text);
    INFO(text);
    REQUIRE(r.diags.error_count() == 1);
    CHECK(r.diags.items()[0].message.starts_with("file: expected a map"));
  }
}

TEST_CASE("x- keys hold anchors and are otherwise ignored") {
  Config c = must_load(R"(version: 1
x-script: &s {type: script, command: make}
workflows:
  - name: t
    trigger: {integration: git, repository: "file:///srv/t.git", branch: main}
    tasks: [*s, *s]
)");
  CHECK(c.workflows[0].tasks.size() == 2);
}

TEST_CASE("duplicate keys are reported once each, in small and large maps") {
  for (int keys : {3, 40}) {
    std::string text = "version: 1\nworkflows:\n  - name: a\n    trigger: {integration: github, repository: a/b, branch: main}\n"
                       "    tasks:\n      - type: build\n";
    for (int i = 0; i < keys; ++i) text += "        app: w" + std::to_string(i) + "\n";
    auto r = load_string("t.yml", text);
    INFO(keys << " keys");
    REQUIRE(r.diags.error_count() == keys - 1);
    for (const auto& d : r.diags.items()) CHECK(d.message.ends_with("duplicate key 'app' (first defined at line 7)"));
    CHECK(r.diags.sorted().front().pos.line == 8);
  }
}

TEST_CASE("unnamed tasks of one type share a default name without a warning") {
  auto r = load_string("t.yml", R"(version: 1
workflows:
  - name: t
    trigger: {integration: git, repository: "file:///srv/t.git", branch: main}
    tasks: [{type: script, command: a}, {type: script, command: b}]
)");
  REQUIRE(r.config.has_value());
  CHECK(r.diags.items().empty());
}
