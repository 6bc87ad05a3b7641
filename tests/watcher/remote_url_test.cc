#include <catch2/catch.hpp>

#include "watcher/remote_url.hh"

using namespace cwf;

TEST_CASE("a trigger's repository becomes a URL under its forge") {
  watcher::Forges f;
  config::Trigger t;
  t.integration = config::Integration::github;
  t.repository = "acme/web";
  CHECK(watcher::remote_url(t, f) == "https://github.com/acme/web.git");
  f.github_url = "file:///srv/forge";
  CHECK(watcher::remote_url(t, f) == "file:///srv/forge/acme/web.git");
  t.integration = config::Integration::gitlab;
  t.repository = "group/sub/api";
  f.gitlab_url = "https://git.example.com/";
  CHECK(watcher::remote_url(t, f) == "https://git.example.com/group/sub/api.git");
  t.integration = config::Integration::git;
  t.repository = "ssh://git@host/x.git";
  CHECK(watcher::remote_url(t, f) == "ssh://git@host/x.git");
}

TEST_CASE("local remotes are read in place") {
  CHECK(watcher::local_path("file:///srv/x.git") == "/srv/x.git");
  CHECK(watcher::local_path("/srv/x.git") == "/srv/x.git");
  CHECK_FALSE(watcher::local_path("https://github.com/a/b.git"));
  CHECK_FALSE(watcher::local_path("git@github.com:a/b.git"));
}

TEST_CASE("a forge's token goes only to that forge, over http(s)") {
  watcher::Forges f;
  f.github_token = "ghp_secret";
  f.gitlab_token = "glpat_secret";
  f.ssh_key = "/keys/id";
  auto gh = watcher::credentials_for("https://github.com/acme/web.git", f);
  CHECK(gh.token == "ghp_secret");
  CHECK(gh.username == "x-access-token");
  auto gl = watcher::credentials_for("https://gitlab.com/g/p.git", f);
  CHECK(gl.token == "glpat_secret");
  CHECK(gl.username == "oauth2");
  CHECK(watcher::credentials_for("https://github.com.evil.example/acme/web.git", f).token.empty());
  CHECK(watcher::credentials_for("https://example.com/x.git", f).token.empty());
  CHECK(watcher::credentials_for("ssh://git@github.com/acme/web.git", f).ssh_key == "/keys/id");
}

TEST_CASE("every remote gets its own mirror") {
  auto a = watcher::mirror_path("/data", "https://github.com/acme/web.git");
  auto b = watcher::mirror_path("/data", "https://github.com/acme/web_git");
  CHECK(a.parent_path() == "/data/mirrors");
  CHECK_THAT(a.filename().string(), Catch::StartsWith("github.com_acme_web.git-") && Catch::EndsWith(".git"));
  CHECK(a != b);
  CHECK(a == watcher::mirror_path("/data", "https://github.com/acme/web.git"));
}
