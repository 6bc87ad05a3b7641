// Webhook signatures and payloads, with GitHub's documented test vector and the forges' real payloads.

#include <catch2/catch.hpp>

#include "server/webhook.hh"
#include "test_support.hh"

using namespace cwf::server;

namespace {

std::string fixture(const std::string& name) {
  return cwf::test::read_file(cwf::test::source_dir() / "tests/fixtures/webhooks" / name);
}

}  // namespace

TEST_CASE("GitHub's documented test vector") {
  CHECK(hmac_sha256_hex("It's a Secret to Everybody", "Hello, World!") ==
        "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
  CHECK(github_signature_valid("It's a Secret to Everybody", "Hello, World!",
                               "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"));
}

TEST_CASE("bad GitHub signatures are refused") {
  const std::string good = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
  const std::string secret = "It's a Secret to Everybody";
  CHECK_FALSE(github_signature_valid("another secret", "Hello, World!", good));
  CHECK_FALSE(github_signature_valid(secret, "Hello, World?", good));
  CHECK_FALSE(github_signature_valid(secret, "Hello, World!", ""));
  CHECK_FALSE(github_signature_valid(secret, "Hello, World!", good.substr(0, good.size() - 2)));
  CHECK_FALSE(github_signature_valid(secret, "Hello, World!", "sha1=757107ea0eb2509fc211221cce984b8a37570b6d"));
  CHECK_FALSE(github_signature_valid(secret, "Hello, World!", "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"));
  CHECK_FALSE(github_signature_valid("", "Hello, World!", "sha256=" + hmac_sha256_hex("", "Hello, World!")));
}

TEST_CASE("GitLab's token is compared whole") {
  CHECK(gitlab_token_valid("s3cret-token", "s3cret-token"));
  CHECK_FALSE(gitlab_token_valid("s3cret-token", "s3cret-toke"));
  CHECK_FALSE(gitlab_token_valid("s3cret-token", ""));
  CHECK_FALSE(gitlab_token_valid("", ""));
}

TEST_CASE("push payloads name their repository") {
  auto gh = parse_push(Forge::github, fixture("github-webhooks/push_with-new-branch.payload.json"));
  REQUIRE(gh.ok());
  CHECK(gh->repository == "Codertocat/Hello-World");
  CHECK(gh->ref == "refs/heads/master");
  CHECK(gh->urls.at(0) == "https://github.com/Codertocat/Hello-World.git");
  auto gl = parse_push(Forge::gitlab, fixture("gitlab-webhooks/push_hook.json"));
  REQUIRE(gl.ok());
  CHECK_FALSE(gl->repository.empty());
  CHECK_FALSE(gl->urls.empty());
  CHECK_FALSE(parse_push(Forge::github, "{not json").ok());
  CHECK_FALSE(parse_push(Forge::github, "[]").ok());
  CHECK_FALSE(parse_push(Forge::gitlab, fixture("github-webhooks/push_payload.json")).ok());
}
