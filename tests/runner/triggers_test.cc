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

namespace {

const char* kReview = R"(  - name: review
    trigger:
      integration: github
      repository: acme/web
      pull_request: {base: main}
    tasks: [{type: script, command: "true"}]
  - name: forks-too
    trigger:
      integration: github
      repository: acme/web
      require_status: false
      pull_request: {forks: true, drafts: true}
    tasks: [{type: script, command: "true"}]
  - name: pushes
    trigger: {integration: github, repository: acme/web, branch: "*"}
    tasks: [{type: script, command: "true"}]
)";

runner::OpenPullRequest pr(int number, const std::string& sha, const std::string& base = "main") {
  runner::OpenPullRequest p;
  p.pr.number = number;
  p.pr.head_sha = sha;
  p.pr.head_branch = "feature-" + std::to_string(number);
  p.pr.base_branch = base;
  p.pr.url = "https://github.com/acme/web/pull/" + std::to_string(number);
  p.sha = sha;
  return p;
}

std::vector<std::string> pr_jobs(const runner::PullRequestsTriggered& t) {
  std::vector<std::string> out;
  for (const auto& j : t.jobs) out.push_back(j.workflow + "#" + std::to_string(*j.pull_request) + "@" + j.commit_sha);
  return out;
}

}  // namespace

TEST_CASE("pull requests: one job per workflow, base glob, once per head") {
  auto config = load(kReview);
  watcher::Forges forges;
  const std::string url = "https://github.com/acme/web.git";
  auto t = runner::pull_request_jobs_for(config, forges, url, {pr(7, "a1"), pr(8, "b1", "develop")}, {});
  CHECK(pr_jobs(t) == std::vector<std::string>{"review#7@a1", "forks-too#7@a1", "forks-too#8@b1"});
  REQUIRE(t.heads.size() == 3);
  CHECK((t.heads[0].workflow == "review" && t.heads[0].number == 7 && t.heads[0].sha == "a1"));
  const auto& job = t.jobs[0];
  CHECK(job.trigger == "pull_request");
  CHECK(job.branch == "feature-7");
  CHECK(job.repository == "acme/web");
  CHECK(job.remote == url);
  CHECK(job.pull_request_url == "https://github.com/acme/web/pull/7");
  CHECK(job.state == store::JobState::waiting);  // require_status: the gate reads the head's statuses
  CHECK(t.jobs[1].state == store::JobState::queued);
  CHECK_FALSE(job.untrusted);

  // What made jobs before makes none again; a new head of the same PR does.
  std::set<store::PullRequestHead> done(t.heads.begin(), t.heads.end());
  CHECK(runner::pull_request_jobs_for(config, forges, url, {pr(7, "a1"), pr(8, "b1", "develop")}, done).jobs.empty());
  CHECK(pr_jobs(runner::pull_request_jobs_for(config, forges, url, {pr(7, "a2")}, done)) ==
        std::vector<std::string>{"review#7@a2", "forks-too#7@a2"});
  // Another remote's PRs are not these workflows'.
  CHECK(runner::pull_request_jobs_for(config, forges, "https://github.com/acme/other.git", {pr(7, "a1")}, {}).jobs.empty());
}

TEST_CASE("pull requests: a fork's runs only with forks: true, untrusted; a draft only with drafts: true") {
  auto config = load(kReview);
  watcher::Forges forges;
  auto fork = pr(9, "c1");
  fork.pr.fork = true;
  auto draft = pr(10, "d1");
  draft.pr.draft = true;
  draft.pr.url = "javascript:alert(1)";
  auto t = runner::pull_request_jobs_for(config, forges, "https://github.com/acme/web.git", {fork, draft}, {});
  CHECK(pr_jobs(t) == std::vector<std::string>{"forks-too#9@c1", "forks-too#10@d1"});
  CHECK(t.jobs[0].untrusted);
  CHECK_FALSE(t.jobs[1].untrusted);
  CHECK(t.jobs[1].pull_request_url.empty());  // only a web address is a link
  REQUIRE(t.held.size() == 2);
  CHECK(t.held[0] == "review: PR #9 comes from another repository; it runs only with pull_request.forks: true");
  CHECK(t.held[1].find("review: PR #10 is a draft") == 0);
}

TEST_CASE("a push never starts a pull request workflow") {
  auto config = load(kReview);
  watcher::Forges forges;
  auto t = runner::jobs_for(config, forges, "https://github.com/acme/web.git", {{"feature-7", "a0", "a1"}}, no_files);
  CHECK(names(t) == std::vector<std::string>{"pushes@feature-7"});
}
