#include <catch2/catch.hpp>

#include "config/names.hh"

using namespace cwf::config;

TEST_CASE("did you mean: near misses only") {
  std::vector<std::string> keys = {"name", "trigger", "tasks", "concurrency"};
  CHECK(closest_match("trigerr", keys) == "trigger");
  CHECK(closest_match("Tasks", keys) == "tasks");
  CHECK(closest_match("concurency", keys) == "concurrency");
  CHECK(closest_match("biuld", {"build", "promote"}) == "build");
  CHECK_FALSE(closest_match("steps", keys).has_value());
  CHECK_FALSE(closest_match("x", keys).has_value());
}

TEST_CASE("workflow names") {
  CHECK_FALSE(workflow_name_error("deploy-prod-2").has_value());
  CHECK(workflow_name_error("Deploy").has_value());
  CHECK(workflow_name_error("deploy_prod").has_value());
  CHECK(workflow_name_error("-x").has_value());
  CHECK(workflow_name_error("x-").has_value());
  CHECK(workflow_name_error(std::string(64, 'a')).has_value());
  CHECK(suggest_workflow_name("Deploy_Prod!") == "deploy-prod");
}

TEST_CASE("paths must stay inside the checkout") {
  for (const char* ok : {"src", "a/b/../c", "./x", "a/..", "docker-compose.yml"}) {
    INFO(ok);
    CHECK_FALSE(relative_path_error(ok).has_value());
  }
  for (const char* bad : {"/etc", "..", "../x", "a/../../b", "a\\b", ""}) {
    INFO(bad);
    CHECK(relative_path_error(bad).has_value());
  }
}

TEST_CASE("branches follow git's ref-name rules") {
  for (const char* ok : {"main", "release/*", "feature/**", "v[0-9]*", "deps/bump-1.2"}) {
    INFO(ok);
    CHECK_FALSE(branch_error(ok).has_value());
  }
  for (const char* bad : {"refs/heads/main", "a..b", "a b", "a~1", "x:y", "/a", "a/", "-a", "a.lock", "a//b",
                          "a@{1}", "[x"}) {
    INFO(bad);
    CHECK(branch_error(bad).has_value());
  }
}

TEST_CASE("repositories by integration") {
  CHECK_FALSE(forge_repository_error("acme/web", false).has_value());
  CHECK(forge_repository_error("acme/group/web", false).has_value());
  CHECK_FALSE(forge_repository_error("acme/group/web", true).has_value());
  CHECK(forge_repository_error("web", true).has_value());
  CHECK(forge_repository_error("acme/web.git", false).has_value());
  CHECK(forge_repository_error("acme/..", false).has_value());
  CHECK(forge_repository_error("https://github.com/acme/web", false).has_value());
  for (const char* ok : {"https://git.example.com/x.git", "ssh://git@host/x.git", "git@host:acme/x.git",
                         "file:///srv/git/x.git"}) {
    INFO(ok);
    CHECK_FALSE(git_url_error(ok).has_value());
  }
  for (const char* bad : {"http://host/x", "ftp://host/x", "https://u:p@host/x", "file://relative", "/srv/x",
                          "https:///x"}) {
    INFO(bad);
    CHECK(git_url_error(bad).has_value());
  }
}

TEST_CASE("credentials in URLs are redacted") {
  CHECK(redact_url("https://user:s3cret@git.example.com/x.git") == "https://***@git.example.com/x.git");
  CHECK(redact_url("https://tok@host/a@b") == "https://***@host/a@b");
  CHECK(redact_url("https://host/a@b") == "https://host/a@b");
  CHECK(redact_url("git@host:x.git") == "git@host:x.git");
}
