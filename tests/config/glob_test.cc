#include <catch2/catch.hpp>
#include <chrono>

#include "config/glob.hh"

using namespace cwf::config;

TEST_CASE("'*' stays in a segment, '**' spans segments") {
  CHECK(glob_match("release/*", "release/1.0"));
  CHECK_FALSE(glob_match("release/*", "release/1.0/hotfix"));
  CHECK_FALSE(glob_match("release/*", "release"));
  CHECK(glob_match("release/**", "release/1.0/hotfix"));
  CHECK(glob_match("services/worker/**", "services/worker/src/main.go"));
  CHECK(glob_match("**/*.md", "README.md"));
  CHECK(glob_match("**/*.md", "docs/a/b.md"));
  CHECK(glob_match("a/**/b*c", "a/x/b1/b2c"));
  CHECK_FALSE(glob_match("*.yml", "dir/x.yml"));
  CHECK(glob_match("main", "main"));
  CHECK_FALSE(glob_match("main", "mainline"));
}

TEST_CASE("'?' and classes match one character") {
  CHECK(glob_match("v?", "v1"));
  CHECK_FALSE(glob_match("v?", "v10"));
  CHECK(glob_match("release/[0-9]*", "release/2"));
  CHECK_FALSE(glob_match("release/[0-9]*", "release/x"));
  CHECK(glob_match("[!a]b", "cb"));
  CHECK_FALSE(glob_match("[!a]b", "ab"));
  CHECK_FALSE(glob_match("a?b", "a/b"));
}

TEST_CASE("glob syntax errors") {
  CHECK(glob_error("release/[0-9") == "unclosed '[' at character 9");
  CHECK(glob_error("a]") == "unmatched ']' at character 2");
  CHECK(glob_error("a/***") == "'***' is not a glob; use '*' or '**'");
  CHECK(glob_error("[]") == "unclosed '[' at character 1");
  CHECK(glob_error("a\\b").has_value());
  CHECK(glob_error("").has_value());
  CHECK_FALSE(glob_error("release/[0-9]*").has_value());
  CHECK_FALSE(glob_error("**/x").has_value());
}

TEST_CASE("a pathological pattern costs pattern x text steps at most") {
  std::string pattern;
  for (int i = 0; i < 30; ++i) pattern += "*a";
  pattern += "b";
  std::string text(300, 'a');
  auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(glob_match(pattern, text));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
}
