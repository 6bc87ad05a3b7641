// Reads files at revisions of a real repository made with the git CLI.

#include <catch2/catch.hpp>
#include <cstdlib>

#include "git/repository.hh"
#include "test_support.hh"

using cwf::git::Repository;

namespace {

using cwf::test::sh;
using cwf::test::write_file;

}  // namespace

TEST_CASE("a file is read at two revisions, and is absent before it was added") {
  cwf::test::TempDir tmp;
  auto dir = tmp.path();
  sh(dir, "git init -q -b main . && git config user.email t@example.com && git config user.name t");
  write_file(dir / "README", "hello\n");
  sh(dir, "git add README && git commit -qm first");
  write_file(dir / ".convox-workflows.yml", "version: 1\nworkflows: []\n");
  sh(dir, "git add . && git commit -qm second");
  write_file(dir / ".convox-workflows.yml", "version: 1\n# changed\nworkflows: []\n");
  sh(dir, "git commit -qam third");
  std::filesystem::create_directory(dir / "sub");

  auto repo = Repository::discover((dir / "sub").string());
  REQUIRE(repo.ok());
  auto head = (*repo)->read_file("HEAD", ".convox-workflows.yml", 1 << 20);
  REQUIRE(head.ok());
  CHECK(head->exists);
  CHECK(head->content == "version: 1\n# changed\nworkflows: []\n");
  CHECK(head->commit.size() == 40);

  auto prev = (*repo)->read_file("HEAD~1", ".convox-workflows.yml", 1 << 20);
  REQUIRE(prev.ok());
  CHECK(prev->content == "version: 1\nworkflows: []\n");

  auto first = (*repo)->read_file("main~2", ".convox-workflows.yml", 1 << 20);
  REQUIRE(first.ok());
  CHECK_FALSE(first->exists);

  auto dirpath = (*repo)->read_file("HEAD", "sub", 1 << 20);  // untracked empty dir: absent
  REQUIRE(dirpath.ok());
  CHECK_FALSE(dirpath->exists);
}

TEST_CASE("content is capped but the real size is reported") {
  cwf::test::TempDir tmp;
  auto dir = tmp.path();
  sh(dir, "git init -q . && git config user.email t@example.com && git config user.name t");
  write_file(dir / "big", std::string(5000, 'x'));
  sh(dir, "git add big && git commit -qm big");
  auto repo = Repository::discover(dir.string());
  REQUIRE(repo.ok());
  auto f = (*repo)->read_file("HEAD", "big", 100);
  REQUIRE(f.ok());
  CHECK(f->size == 5000);
  CHECK(f->content.size() == 101);
}

TEST_CASE("errors name what failed") {
  cwf::test::TempDir tmp;
  auto none = Repository::discover(tmp.path().string());
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().message.find("cannot open a git repository") != std::string::npos);

  sh(tmp.path(), "git init -q . && git config user.email t@example.com && git config user.name t && "
                 "git commit -q --allow-empty -m x");
  auto repo = Repository::discover(tmp.path().string());
  REQUIRE(repo.ok());
  auto bad = (*repo)->read_file("no-such-rev", "x", 10);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.starts_with("unknown revision 'no-such-rev': "));
}
