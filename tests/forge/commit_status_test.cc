// The forges' commit-status JSON, in the documented shapes: what blocks the
// gate, what doesn't, and the bodies the runner posts.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "forge/forge.hh"

using namespace cwf::forge;
using nlohmann::json;

namespace {

Contexts github(const json& statuses, const json& runs) {
  Contexts c;
  // Shapes from GET /repos/{o}/{r}/commits/{sha}/status and .../check-runs.
  REQUIRE_FALSE(add_github_statuses(json{{"state", "x"}, {"statuses", statuses}, {"total_count", statuses.size()}}.dump(), c));
  REQUIRE_FALSE(add_github_check_runs(json{{"total_count", runs.size()}, {"check_runs", runs}}.dump(), c));
  return c;
}

json status(const char* context, const char* state) {
  return {{"context", context}, {"state", state}, {"description", "d"}, {"target_url", nullptr}, {"id", 1}};
}
json run(const char* name, const char* st, const char* conclusion) {
  json r = {{"name", name}, {"status", st}, {"id", 4}, {"head_sha", std::string(40, 'a')}};
  r["conclusion"] = conclusion ? json(conclusion) : json(nullptr);
  return r;
}

}  // namespace

TEST_CASE("GitHub: success, pending, failure and error statuses") {
  CHECK(verdict(github(json::array({status("ci/test", "success")}), json::array())) == Verdict::success);
  auto p = github(json::array({status("ci/test", "success"), status("ci/lint", "pending")}), json::array());
  CHECK(verdict(p) == Verdict::pending);
  CHECK(p.pending == std::vector<std::string>{"ci/lint (pending)"});
  auto f = github(json::array({status("ci/test", "failure"), status("ci/e2e", "error"), status("ci/lint", "pending")}),
                  json::array());
  CHECK(verdict(f) == Verdict::failure);
  CHECK(f.failing == std::vector<std::string>{"ci/test (failure)", "ci/e2e (error)"});
  CHECK(verdict(github(json::array(), json::array())) == Verdict::none);
}

TEST_CASE("GitHub: check runs block until completed, and on failure, timed_out, cancelled, action_required") {
  CHECK(verdict(github(json::array(), json::array({run("build", "completed", "success")}))) == Verdict::success);
  for (const char* ok : {"neutral", "skipped", "success"})
    CHECK(verdict(github(json::array(), json::array({run("build", "completed", ok)}))) == Verdict::success);
  for (const char* st : {"queued", "in_progress"}) {
    auto c = github(json::array(), json::array({run("build", st, nullptr)}));
    CHECK(verdict(c) == Verdict::pending);
    CHECK(c.pending == std::vector<std::string>{"build (" + std::string(st) + ")"});
  }
  for (const char* bad : {"failure", "timed_out", "cancelled", "action_required"}) {
    auto c = github(json::array({status("ci/x", "success")}), json::array({run("build", "completed", bad)}));
    CHECK(verdict(c) == Verdict::failure);
    CHECK(c.failing == std::vector<std::string>{"build (" + std::string(bad) + ")"});
  }
}

TEST_CASE("the runner's own contexts are left out of its gate") {
  auto c = github(json::array({status("convox-workflows/deploy", "pending"), status("convox-workflows/config", "failure")}),
                  json::array());
  CHECK(verdict(c) == Verdict::none);
  Contexts g;
  REQUIRE_FALSE(gitlab_contexts({R"([{"id": 1, "name": "convox-workflows/deploy", "status": "running"}])"}, g));
  CHECK(verdict(g) == Verdict::none);
}

TEST_CASE("GitLab: statuses, allow_failure, manual jobs, and the newest try of a retried job") {
  auto read = [](const json& statuses) {
    Contexts c;
    REQUIRE_FALSE(gitlab_contexts({statuses.dump()}, c));
    return c;
  };
  auto s = [](int id, const char* name, const char* st, bool may_fail = false) {
    return json{{"id", id}, {"sha", std::string(40, 'a')}, {"ref", "main"}, {"status", st}, {"name", name},
                {"allow_failure", may_fail}, {"target_url", nullptr}, {"description", nullptr}};
  };
  CHECK(verdict(read(json::array({s(1, "test", "success"), s(2, "lint", "skipped")}))) == Verdict::success);
  for (const char* st : {"pending", "running", "created"})
    CHECK(verdict(read(json::array({s(1, "test", st)}))) == Verdict::pending);
  CHECK(read(json::array({s(1, "test", "failed")})).failing == std::vector<std::string>{"test (failed)"});
  CHECK(verdict(read(json::array({s(1, "test", "canceled")}))) == Verdict::failure);
  CHECK(verdict(read(json::array({s(1, "flaky", "failed", true), s(2, "test", "success")}))) == Verdict::success);
  CHECK(verdict(read(json::array({s(1, "deploy", "manual", true)}))) == Verdict::success);
  CHECK(verdict(read(json::array({s(1, "approve", "manual", false)}))) == Verdict::pending);
  // all=true lists every try: the failed first try was retried and passed.
  CHECK(verdict(read(json::array({s(7, "test", "success"), s(3, "test", "failed")}))) == Verdict::success);
  CHECK(verdict(read(json::array({s(3, "test", "success"), s(7, "test", "failed")}))) == Verdict::failure);
  CHECK(verdict(read(json::array())) == Verdict::none);
  // Across pages too.
  Contexts paged;
  REQUIRE_FALSE(gitlab_contexts({json::array({s(9, "test", "success")}).dump(), json::array({s(2, "test", "failed")}).dump()}, paged));
  CHECK(verdict(paged) == Verdict::success);
}

TEST_CASE("a reply that is not the documented JSON is an error, not a verdict") {
  Contexts c;
  CHECK(add_github_statuses("<html>", c));
  CHECK(add_github_statuses(R"({"state": "success"})", c));
  CHECK(add_github_check_runs(R"([])", c));
  CHECK(gitlab_contexts({R"({"message": "404 Project Not Found"})"}, c));
  CHECK(c.seen == 0);
}

TEST_CASE("the posted bodies are the documented ones") {
  StatusPost p;
  p.state = PostState::running;
  p.context = "convox-workflows/deploy";
  p.description = "Running 2 tasks";
  p.target_url = "https://ci.example.com/jobs/7";
  CHECK(json::parse(github_status_body(p)) == json{{"state", "pending"},
                                                   {"context", "convox-workflows/deploy"},
                                                   {"description", "Running 2 tasks"},
                                                   {"target_url", "https://ci.example.com/jobs/7"}});
  CHECK(json::parse(gitlab_status_body(p)) == json{{"state", "running"},
                                                   {"name", "convox-workflows/deploy"},
                                                   {"description", "Running 2 tasks"},
                                                   {"target_url", "https://ci.example.com/jobs/7"}});
  const char* github_states[] = {"pending", "pending", "success", "failure", "error"};
  const char* gitlab_states[] = {"pending", "running", "success", "failed", "canceled"};
  p.target_url.clear();
  for (int i = 0; i < 5; ++i) {
    p.state = static_cast<PostState>(i);
    CHECK(json::parse(github_status_body(p))["state"] == github_states[i]);
    CHECK(json::parse(gitlab_status_body(p))["state"] == gitlab_states[i]);
    CHECK_FALSE(json::parse(github_status_body(p)).contains("target_url"));
  }
}

TEST_CASE("descriptions fit GitHub's 140 characters without splitting a character") {
  CHECK(short_description("short") == "short");
  std::string long_ascii(200, 'x');
  CHECK(short_description(long_ascii).size() == 140);
  CHECK(short_description(long_ascii).substr(137) == "...");
  std::string accents;
  for (int i = 0; i < 100; ++i) accents += "\xC3\xA9";  // é
  std::string cut = short_description(accents);
  CHECK(cut.size() <= 140);
  CHECK(cut.substr(cut.size() - 3) == "...");
  CHECK(cut.size() % 2 == 1);  // whole two-byte characters, then "..."
  CHECK(join_some({"a", "b", "c", "d", "e", "f"}) == "a, b, c, d and 2 more");
}
