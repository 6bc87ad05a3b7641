// The forges' lists of open pull requests and merge requests: the documented
// shapes (GitHub's from its own payload examples), forks, drafts, pages.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "forge/fake_forge.hh"
#include "forge/forge.hh"
#include "test_support.hh"

using namespace cwf::forge;
using nlohmann::json;

namespace {

// The pull_request object of a real `pull_request` event: one item of GET /repos/{o}/{r}/pulls.
json github_pr() {
  auto payload = json::parse(cwf::test::read_file(cwf::test::source_dir() /
                                                  "tests/fixtures/webhooks/github-webhooks/pull_request_opened.payload.json"));
  return payload["pull_request"];
}

// One item of GitLab's GET /projects/:id/merge_requests, as documented.
json gitlab_mr(int iid, const std::string& sha, int source_project = 14) {
  return {{"id", 1000 + iid},       {"iid", iid},
          {"project_id", 14},       {"title", "Update README"},
          {"state", "opened"},      {"target_branch", "main"},
          {"source_branch", "fix"}, {"source_project_id", source_project},
          {"target_project_id", 14}, {"draft", false},
          {"work_in_progress", false}, {"sha", sha},
          {"web_url", "https://gitlab.example/group/app/-/merge_requests/" + std::to_string(iid)},
          {"author", {{"id", 1}, {"username", "dev"}}}};
}

}  // namespace

TEST_CASE("GitHub: a pull request's number, head, base, link and author") {
  std::vector<PullRequest> prs;
  REQUIRE_FALSE(add_github_pulls(json::array({github_pr()}).dump(), "Codertocat/Hello-World", prs));
  REQUIRE(prs.size() == 1);
  CHECK(prs[0].number == 2);
  CHECK(prs[0].head_sha == "ec26c3e57ca3a959ca5aad62de7213c562f8c821");
  CHECK(prs[0].head_branch == "changes");
  CHECK(prs[0].base_branch == "master");
  CHECK_FALSE(prs[0].fork);
  CHECK_FALSE(prs[0].draft);
  CHECK(prs[0].url == "https://github.com/Codertocat/Hello-World/pull/2");
  CHECK(prs[0].author == "Codertocat");
}

TEST_CASE("GitHub: a fork's pull request, a deleted fork's, a draft; names compare without case") {
  json fork = github_pr(), gone = github_pr(), draft = github_pr(), cased = github_pr();
  fork["number"] = 3;
  fork["head"]["repo"]["full_name"] = "mallory/Hello-World";
  gone["number"] = 4;
  gone["head"]["repo"] = nullptr;
  draft["number"] = 5;
  draft["draft"] = true;
  cased["number"] = 6;
  cased["head"]["repo"]["full_name"] = "codertocat/hello-world";
  std::vector<PullRequest> prs;
  REQUIRE_FALSE(add_github_pulls(json::array({fork, gone, draft, cased}).dump(), "Codertocat/Hello-World", prs));
  REQUIRE(prs.size() == 4);
  CHECK(prs[0].fork);
  CHECK(prs[1].fork);
  CHECK_FALSE(prs[2].fork);
  CHECK(prs[2].draft);
  CHECK_FALSE(prs[3].fork);
}

TEST_CASE("GitLab: a merge request's iid, head, target, link; another project's is a fork; drafts both ways") {
  json wip = gitlab_mr(3, std::string(40, 'c'));
  wip["work_in_progress"] = true;  // the older field
  json draft = gitlab_mr(4, std::string(40, 'd'));
  draft["draft"] = true;
  std::vector<PullRequest> prs;
  REQUIRE_FALSE(add_gitlab_merge_requests(
      json::array({gitlab_mr(1, std::string(40, 'a')), gitlab_mr(2, std::string(40, 'b'), 99), wip, draft}).dump(), prs));
  REQUIRE(prs.size() == 4);
  CHECK(prs[0].number == 1);
  CHECK(prs[0].head_sha == std::string(40, 'a'));
  CHECK(prs[0].head_branch == "fix");
  CHECK(prs[0].base_branch == "main");
  CHECK(prs[0].url == "https://gitlab.example/group/app/-/merge_requests/1");
  CHECK(prs[0].author == "dev");
  CHECK_FALSE(prs[0].fork);
  CHECK(prs[1].fork);
  CHECK(prs[2].draft);
  CHECK(prs[3].draft);
}

TEST_CASE("a list that is not the documented JSON is an error; items without a number are skipped") {
  std::vector<PullRequest> prs;
  CHECK(add_github_pulls(R"({"message": "Not Found"})", "a/b", prs));
  CHECK(add_gitlab_merge_requests("<html>", prs));
  REQUIRE_FALSE(add_github_pulls(R"([{"title": "x"}, {"number": -1}, {"number": "7"}, 5])", "a/b", prs));
  REQUIRE_FALSE(add_gitlab_merge_requests(R"([{"iid": 0}, {"iid": 1e3}])", prs));
  CHECK(prs.empty());
}

TEST_CASE("open_pull_requests reads every page, open ones only, from both forges") {
  cwf::test::FakeForge fake;
  json pulls = json::array(), mrs = json::array();
  for (int i = 1; i <= 150; ++i) {
    json pr = github_pr();
    pr["number"] = i;
    pr["state"] = i % 10 == 0 ? "closed" : "open";
    pulls.push_back(pr);
    json mr = gitlab_mr(i, std::string(40, 'e'));
    mr["state"] = i % 10 == 0 ? "merged" : "opened";
    mrs.push_back(mr);
  }
  fake.pulls("acme/web", pulls);
  fake.merge_requests("group/app", mrs);
  auto github = make_github(fake.url(), "t", {});
  auto gitlab = make_gitlab(fake.url() + "/api/v4", "t", {});
  auto gh = github->open_pull_requests("acme/web");
  auto gl = gitlab->open_pull_requests("group/app");
  REQUIRE(gh.ok());
  REQUIRE(gl.ok());
  CHECK(gh.open.size() == 135);
  CHECK(gl.open.size() == 135);
  int requests = 0;
  for (const auto& s : fake.seen()) {
    ++requests;
    if (s.target.find("/pulls") != std::string::npos) CHECK(s.header("Authorization") == "Bearer t");
  }
  CHECK(requests == 4);  // two pages each
  CHECK(github->open_pull_requests("acme/none").open.empty());

  fake.trouble(3, {404, {}});
  auto missing = github->open_pull_requests("acme/web");
  CHECK_FALSE(missing.ok());
  CHECK(missing.error.find("GitHub pull requests") != std::string::npos);
}

TEST_CASE("a list longer than the pages read says it is cut") {
  cwf::test::FakeForge fake;
  json pulls = json::array();
  for (int i = 1; i <= 1001; ++i) pulls.push_back({{"number", i}, {"state", "open"}});
  fake.pulls("acme/web", pulls);
  auto list = make_github(fake.url(), "t", {})->open_pull_requests("acme/web");
  REQUIRE(list.ok());
  CHECK(list.open.size() == 1000);
  CHECK_FALSE(list.complete);
  pulls.erase(pulls.end() - 1);
  fake.pulls("acme/web", pulls);
  CHECK(make_github(fake.url(), "t", {})->open_pull_requests("acme/web").complete);
}
