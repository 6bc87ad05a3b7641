// Review apps on the forges: a GitHub deployment and its statuses, a GitLab
// environment (made once, found again), as the stand-in records them.

#include <catch2/catch.hpp>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "forge/fake_forge.hh"
#include "forge/forge.hh"

using namespace cwf::forge;
using nlohmann::json;

namespace {

Deployment review_app() {
  Deployment d;
  d.environment = "review/pr-7";
  d.sha = std::string(40, 'a');
  d.url = "https://web.web-pr-7.acme-dev.convox.cloud";
  d.log_url = "https://ci.example/jobs/12";
  d.description = "review app web-pr-7 on acme/dev";
  return d;
}

}  // namespace

TEST_CASE("GitHub: a transient deployment of the head, its status success with both URLs; retired inactive") {
  cwf::test::FakeForge fake;
  auto github = make_github(fake.url(), "t", {});
  auto made = github->deploy("acme/web", review_app());
  REQUIRE(made.ok());
  auto posts = fake.posts();
  REQUIRE(posts.size() == 2);
  CHECK(posts[0].target == "/repos/acme/web/deployments");
  json deployment = json::parse(posts[0].body);
  CHECK(deployment["ref"] == std::string(40, 'a'));
  CHECK(deployment["environment"] == "review/pr-7");
  CHECK(deployment["transient_environment"] == true);
  CHECK(deployment["production_environment"] == false);
  CHECK(deployment["required_contexts"] == json::array());
  CHECK(deployment["auto_merge"] == false);
  CHECK(posts[1].target == "/repos/acme/web/deployments/" + made.id + "/statuses");
  json status = json::parse(posts[1].body);
  CHECK(status["state"] == "success");
  CHECK(status["environment_url"] == "https://web.web-pr-7.acme-dev.convox.cloud");
  CHECK(status["log_url"] == "https://ci.example/jobs/12");
  CHECK(status["auto_inactive"] == true);
  CHECK(posts[1].header("Authorization") == "Bearer t");

  REQUIRE(github->retire("acme/web", made.id).ok());
  posts = fake.posts();
  REQUIRE(posts.size() == 3);
  CHECK(posts[2].target == "/repos/acme/web/deployments/" + made.id + "/statuses");
  CHECK(json::parse(posts[2].body)["state"] == "inactive");

  fake.trouble(3, {422, {}});
  auto refused = github->deploy("acme/web", review_app());
  CHECK_FALSE(refused.ok());
  CHECK(refused.error.find("GitHub deployment: HTTP 422") == 0);
}

TEST_CASE("GitLab: the environment with its external URL, made once and found again; stopped") {
  cwf::test::FakeForge fake;
  auto gitlab = make_gitlab(fake.url() + "/api/v4", "t", {});
  auto first = gitlab->deploy("group/web", review_app());
  REQUIRE(first.ok());
  auto posts = fake.posts();
  REQUIRE(posts.size() == 1);
  CHECK(posts[0].target == "/api/v4/projects/group%2Fweb/environments");
  json env = json::parse(posts[0].body);
  CHECK(env["name"] == "review/pr-7");
  CHECK(env["external_url"] == "https://web.web-pr-7.acme-dev.convox.cloud");
  auto again = gitlab->deploy("group/web", review_app());  // the next head: it exists
  REQUIRE(again.ok());
  CHECK(again.id == first.id);
  REQUIRE(gitlab->retire("group/web", first.id).ok());
  CHECK(fake.posts().back().target == "/api/v4/projects/group%2Fweb/environments/" + first.id + "/stop");
}

TEST_CASE("a PR's comment: made once, then edited in place; made anew if someone deleted it") {
  cwf::test::FakeForge fake;
  auto github = make_github(fake.url(), "t", {});
  auto gitlab = make_gitlab(fake.url() + "/api/v4", "t", {});
  for (ForgeApi* api : {github.get(), gitlab.get()}) {
    INFO(api->name());
    std::string repo = std::string(api->name()) == "github" ? "acme/ops" : "group/ops";
    auto made = api->comment(repo, 3, "", "plan 1");
    REQUIRE(made.ok());
    auto edited = api->comment(repo, 3, made.id, "plan 2");
    REQUIRE(edited.ok());
    CHECK(edited.id == made.id);
    auto all = fake.comments();
    auto mine = std::find_if(all.begin(), all.end(), [&](const json& c) { return std::to_string(c["id"].get<int>()) == made.id; });
    REQUIRE(mine != all.end());
    CHECK((*mine)["body"] == "plan 2");
    CHECK((*mine)["edits"] == 1);
    CHECK((*mine)["target"] == (std::string(api->name()) == "github" ? "/repos/acme/ops/issues/3/comments"
                                                                     : "/api/v4/projects/group%2Fops/merge_requests/3/notes"));
    auto gone = api->comment(repo, 3, "999", "plan 3");  // deleted meanwhile
    REQUIRE(gone.ok());
    CHECK(gone.id != "999");
  }
}
