// Which branches moved, and which jobs a push makes: globs, deletions, paths filters.

#include <catch2/catch.hpp>

#include "config/loader.hh"
#include "runner/triggers.hh"

using namespace cwf;
using runner::Heads;
using store::HeadChange;

namespace {

config::Config load(const std::string& workflows) {
  auto r = config::load_string("t.yml", "version: 1\nworkflows:\n" + workflows);
  for (const auto& d : r.diags.items()) INFO(config::format_diagnostic("t.yml", d));
  REQUIRE(r.config);
  return *r.config;
}

const char* kWorkflows = R"(  - name: main
    trigger: {integration: git, repository: "file:///r.git", branch: main}
    tasks: [{type: script, command: "true"}]
  - name: releases
    trigger: {integration: git, repository: "file:///r.git", branch: "release/*"}
    tasks: [{type: script, name: a, command: "true"}, {type: script, name: b, command: "true"}]
  - name: docs
    trigger: {integration: git, repository: "file:///r.git", branch: main, paths: ["docs/**", "*.md"]}
    tasks: [{type: script, command: "true"}]
  - name: elsewhere
    trigger: {integration: github, repository: acme/r, branch: main, require_status: false}
    tasks: [{type: script, command: "true"}]
)";

std::vector<std::string> names(const runner::Triggered& t) {
  std::vector<std::string> out;
  for (const auto& j : t.jobs) out.push_back(j.workflow + "@" + j.branch);
  return out;
}

auto no_files = [](const HeadChange&) { return std::optional<std::vector<std::string>>(std::vector<std::string>{}); };

}  // namespace

TEST_CASE("head changes: new, moved and deleted branches - unchanged ones are not changes") {
  Heads known{{"main", "a1"}, {"dev", "b1"}, {"old", "c1"}};
  Heads now{{"main", "a2"}, {"dev", "b1"}, {"new", "d1"}};
  auto c = runner::head_changes(known, now);
  REQUIRE(c.size() == 3);
  CHECK((c[0].branch == "main" && c[0].old_sha == "a1" && c[0].new_sha == "a2"));
  CHECK((c[1].branch == "new" && c[1].old_sha.empty() && c[1].new_sha == "d1"));
  CHECK((c[2].branch == "old" && c[2].old_sha == "c1" && c[2].new_sha.empty()));
  CHECK(runner::head_changes(known, known).empty());
}

TEST_CASE("a push makes one job per matching workflow of that remote") {
  auto config = load(kWorkflows);
  watcher::Forges forges;
  auto t = runner::jobs_for(config, forges, "file:///r.git", {{"main", "a1", "a2"}}, no_files);
  CHECK(names(t) == std::vector<std::string>{"main@main"});
  REQUIRE(t.jobs.size() == 1);
  CHECK(t.jobs[0].commit_sha == "a2");
  CHECK(t.jobs[0].trigger == "push");
  CHECK(t.jobs[0].remote == "file:///r.git");
  CHECK(t.filtered.size() == 1);  // docs: no changed file

  forges.github_url = "file:///srv";
  auto other = runner::jobs_for(config, forges, "file:///srv/acme/r.git", {{"main", "", "x"}}, no_files);
  CHECK(names(other) == std::vector<std::string>{"elsewhere@main"});
}

TEST_CASE("globs match new branches - deleted branches never trigger") {
  auto config = load(kWorkflows);
  auto t = runner::jobs_for(config, {}, "file:///r.git",
                            {{"release/1.0", "", "r1"}, {"release/0.9", "r0", ""}, {"feature/x", "", "f1"}}, no_files);
  CHECK(names(t) == std::vector<std::string>{"releases@release/1.0"});
  REQUIRE(t.jobs[0].tasks.size() == 2);
  CHECK(t.jobs[0].tasks[1] == std::pair<std::string, std::string>{"b", "script"});
}

TEST_CASE("paths filters: a matching changed file runs, unknown changes run, others do not") {
  auto config = load(kWorkflows);
  int asked = 0;
  auto files = [&](const HeadChange&) {
    ++asked;
    return std::optional<std::vector<std::string>>({"src/a.c", "docs/guide/intro.txt"});
  };
  auto t = runner::jobs_for(config, {}, "file:///r.git", {{"main", "a1", "a2"}}, files);
  CHECK(names(t) == std::vector<std::string>{"main@main", "docs@main"});
  auto readme = [](const HeadChange&) { return std::optional<std::vector<std::string>>({"README.md"}); };
  CHECK(runner::jobs_for(config, {}, "file:///r.git", {{"main", "a1", "a2"}}, readme).jobs.size() == 2);
  auto unknown = [](const HeadChange&) { return std::optional<std::vector<std::string>>(); };
  CHECK(runner::jobs_for(config, {}, "file:///r.git", {{"main", "a1", "a2"}}, unknown).jobs.size() == 2);
  // Asked once per change, and only when a filter needs them.
  CHECK(asked == 1);
  runner::jobs_for(config, {}, "file:///r.git", {{"release/2", "", "r"}}, files);
  CHECK(asked == 1);
}
