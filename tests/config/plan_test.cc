#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "config/loader.hh"
#include "config/plan.hh"

using namespace cwf::config;

namespace {

Config cfg(const std::string& workflows) {
  auto r = load_string("t.yml", "version: 1\nworkflows:\n" + workflows);
  for (const auto& d : r.diags.items()) INFO(format_diagnostic("t.yml", d));
  REQUIRE(r.config.has_value());
  return *r.config;
}

const char* kDeploy = R"(  - name: deploy
    trigger: {integration: github, repository: acme/web, branch: main}
    tasks:
      - {type: build, app: web-staging, promote: true}
      - {type: build, app: web}
)";

}  // namespace

TEST_CASE("identical files plan no changes") {
  Plan p = diff(cfg(kDeploy), cfg(kDeploy));
  CHECK(p.empty());
  CHECK(format_plan(p) == "No changes. The workflows match.\n");
}

TEST_CASE("a changed field shows its old and new value") {
  std::string after = kDeploy;
  after.replace(after.find("app: web}"), 9, "app: web, promote: true}");
  Plan p = diff(cfg(kDeploy), cfg(after));
  REQUIRE(p.changes.size() == 1);
  CHECK(format_plan(p) == "~ deploy: tasks[1].promote: false -> true\n\nPlan: 0 to add, 1 to change, 0 to remove.\n");
}

TEST_CASE("defaults count through their effect") {
  std::string before = std::string("defaults: {timeout: 10m}\n") + "workflows:\n" + kDeploy;
  std::string after = std::string("defaults: {timeout: 20m}\n") + "workflows:\n" + kDeploy;
  auto a = load_string("a", "version: 1\n" + before), b = load_string("b", "version: 1\n" + after);
  REQUIRE(a.config);
  REQUIRE(b.config);
  std::string out = format_plan(diff(*a.config, *b.config));
  CHECK(out.find("~ deploy: tasks[0].timeout: \"10m\" -> \"20m\"\n") != std::string::npos);
  CHECK(out.find("~ deploy: tasks[1].timeout: \"10m\" -> \"20m\"\n") != std::string::npos);
}

TEST_CASE("added, removed and reordered workflows") {
  std::string other = R"(  - name: docs
    trigger: {integration: git, repository: "file:///srv/docs.git", branch: main}
    tasks: [{type: script, command: make}]
)";
  Plan p = diff(cfg(kDeploy), cfg(other));
  CHECK(p.count(WorkflowChange::Kind::added) == 1);
  CHECK(p.count(WorkflowChange::Kind::removed) == 1);
  CHECK(format_plan(p) ==
        "- deploy: github acme/web @ main: build web-staging, build web\n"
        "+ docs: git file:///srv/docs.git @ main: script\n\n"
        "Plan: 1 to add, 0 to change, 1 to remove.\n");
  CHECK(diff(cfg(std::string(kDeploy) + other), cfg(other + kDeploy)).empty());
}

TEST_CASE("tasks added and removed at the end") {
  std::string longer = std::string(kDeploy) + "      - {type: promote, app: web}\n";
  std::string out = format_plan(diff(cfg(kDeploy), cfg(longer)));
  CHECK(out.find("~ deploy: tasks[2]: (none) -> \"promote web\"\n") != std::string::npos);
  out = format_plan(diff(cfg(longer), cfg(kDeploy)));
  CHECK(out.find("~ deploy: tasks[2]: \"promote web\" -> (none)\n") != std::string::npos);
}

TEST_CASE("plan as JSON") {
  std::string after = kDeploy;
  after.replace(after.find("branch: main"), 12, "branch: release/*");
  auto j = plan_to_json(diff(cfg(kDeploy), cfg(after)));
  REQUIRE(j["change"].size() == 1);
  CHECK(j["change"][0]["fields"][0]["path"] == "trigger.branch");
  CHECK(j["change"][0]["fields"][0]["old"] == "main");
  CHECK(j["change"][0]["fields"][0]["new"] == "release/*");
}

TEST_CASE("notifications show as each workflow's effective notify") {
  Config before = cfg(kDeploy);
  auto r = load_string("t.yml", std::string("version: 1\nnotifications:\n  - on: [failed]\n"
                                            "    slack: {webhook_url_env: SLACK_URL}\nworkflows:\n") + kDeploy);
  REQUIRE(r.config.has_value());
  Plan p = diff(before, *r.config);
  CHECK(format_plan(p) == "~ deploy: notify[0].on: (none) -> [\"failed\"]\n"
                          "~ deploy: notify[0].slack.webhook_url_env: (none) -> \"SLACK_URL\"\n\n"
                          "Plan: 0 to add, 1 to change, 0 to remove.\n");
  std::string quiet = kDeploy;
  quiet.replace(quiet.find("    tasks:"), 0, "    notify: []\n");
  auto q = load_string("t.yml", std::string("version: 1\nnotifications:\n  - on: [failed]\n"
                                            "    slack: {webhook_url_env: SLACK_URL}\nworkflows:\n") + quiet);
  REQUIRE(q.config.has_value());
  CHECK(diff(before, *q.config).empty());  // the workflow's own empty list: nothing changes for it
}
