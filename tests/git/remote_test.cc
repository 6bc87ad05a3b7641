// Remotes made with the git CLI: listing, fetching into a mirror, changed files, and network timeouts.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "git/remote.hh"
#include "test_support.hh"

using namespace cwf;
using test::sh;

namespace {

struct Remote {
  test::TempDir tmp;
  std::filesystem::path bare = tmp.path() / "remote.git", work = tmp.path() / "work";
  std::string url = "file://" + bare.string();
  Remote() {
    sh(tmp.path(), "git init -q --bare -b main remote.git && mkdir work");
    sh(work, std::string(test::kGitInit) + " && git remote add origin ../remote.git && echo a > a.txt && "
                                           "mkdir src && echo m > src/main.c && git add -A && git commit -qm one && "
                                           "git push -q origin main");
  }
  std::string head(const std::string& rev = "HEAD") {
    std::string out = (tmp.path() / "sha").string();
    sh(work, "git rev-parse " + rev + " > " + out);
    std::string sha = test::read_file(out);
    return sha.substr(0, 40);
  }
};

}  // namespace

TEST_CASE("branches are listed like git ls-remote --heads") {
  Remote r;
  sh(r.work, "git push -q origin main:release/1.0 && git tag v1 && git push -q origin v1");
  auto heads = git::list_branches(r.url, {});
  REQUIRE(heads.ok());
  REQUIRE(heads->size() == 2);
  CHECK((*heads)[0].branch == "main");
  CHECK((*heads)[0].sha == r.head());
  CHECK((*heads)[1].branch == "release/1.0");
}

TEST_CASE("a missing remote is an error naming it, with no credentials") {
  auto heads = git::list_branches("file:///nonexistent/x.git", {});
  REQUIRE_FALSE(heads.ok());
  CHECK_THAT(heads.error().message, Catch::Contains("/nonexistent/x.git"));
}

TEST_CASE("moved branches are fetched into a bare mirror") {
  Remote r;
  auto mirror = r.tmp.path() / "mirror.git";
  REQUIRE_FALSE(git::fetch_branches(mirror, r.url, {"main"}, {}));
  sh(r.work, "echo b > b.txt && git add b.txt && git commit -qm two && git push -q origin main");
  REQUIRE_FALSE(git::fetch_branches(mirror, r.url, {"main"}, {}));
  sh(mirror, "test \"$(git rev-parse main)\" = " + r.head());
  auto files = git::changed_files(mirror.string(), r.head("HEAD~1"), r.head());
  REQUIRE(files.ok());
  CHECK(*files == std::vector<std::string>{"b.txt"});
}

TEST_CASE("changed files: old to new, else against the first parent, else the whole root commit") {
  Remote r;
  std::string first = r.head();
  sh(r.work, "echo x >> src/main.c && git mv a.txt renamed.txt && git commit -qam two");
  std::string second = r.head();
  auto between = git::changed_files(r.work.string(), first, second);
  REQUIRE(between.ok());
  CHECK(*between == std::vector<std::string>{"a.txt", "renamed.txt", "src/main.c"});
  auto no_old = git::changed_files(r.work.string(), "", second);
  REQUIRE(no_old.ok());
  CHECK(*no_old == *between);
  auto gone = git::changed_files(r.work.string(), std::string(40, 'f'), second);
  REQUIRE(gone.ok());
  CHECK(*gone == *between);
  auto root = git::changed_files(r.work.string(), "", first);
  REQUIRE(root.ok());
  CHECK(*root == std::vector<std::string>{"a.txt", "src/main.c"});
}

TEST_CASE("a server that accepts and never answers fails after the timeout") {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 8) == 0);  // the kernel accepts; nobody ever reads or writes
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::string port = std::to_string(ntohs(addr.sin_port));
  std::atomic<bool> abort{false};
  git::install_network_timeouts(std::chrono::milliseconds(700), &abort);
  auto start = std::chrono::steady_clock::now();
  git::Credentials creds{"oauth2", "glpat-do-not-show", "", ""};
  auto heads = git::list_branches("http://127.0.0.1:" + port + "/group/app.git", creds);
  auto took = std::chrono::steady_clock::now() - start;
  git::install_network_timeouts(std::chrono::seconds(30), nullptr);
  ::close(fd);
  REQUIRE_FALSE(heads.ok());
  CHECK_THAT(heads.error().message, Catch::Contains("timed out"));
  CHECK_THAT(heads.error().message, !Catch::Contains("glpat-do-not-show"));
  CHECK(took >= std::chrono::milliseconds(600));
  CHECK(took < std::chrono::seconds(5));
}

TEST_CASE("a commit's summary: its first line and author, clean and short") {
  Remote r;
  auto one = git::commit_summary(r.bare.string(), r.head());
  REQUIRE(one.ok());
  CHECK(one->title == "one");
  CHECK_FALSE(one->author.empty());
  // A pusher's message: blank lines first, a tab, an escape, a Latin-1 byte, a second line, far too long.
  std::string long_line(300, 'x');
  sh(r.work, "printf '\\n\\nfix:\\tthe \\033[31mred\\033[0m bug \\377 " + long_line +
                 "\\nsecond line\\n' > msg && git -c user.name='Ada Lovelace' commit -q --allow-empty -F msg");
  auto two = git::commit_summary(r.work.string(), r.head());
  REQUIRE(two.ok());
  CHECK(two->title.rfind("fix: the  [31mred [0m bug \xC3\xBF xxx", 0) == 0);  // git stored \377 as U+00FF
  CHECK(two->title.size() <= 200);
  CHECK(two->title.find("second") == std::string::npos);
  CHECK(two->author == "Ada Lovelace");
  CHECK_FALSE(git::commit_summary(r.work.string(), std::string(40, 'f')).ok());

  // Bytes that are no UTF-8, written raw (the git CLI would re-encode them).
  std::string out = (r.tmp.path() / "raw").string();
  sh(r.work, "tree=$(git hash-object -t tree -w /dev/null) && printf 'tree %s\\nauthor \\377 <a@b> 0 +0000\\n"
             "committer c <c@d> 0 +0000\\n\\nbad \\377 byte\\n' $tree | git hash-object -t commit -w --stdin > " + out);
  auto raw = git::commit_summary(r.work.string(), test::read_file(out).substr(0, 40));
  REQUIRE(raw.ok());
  CHECK(raw->title == "bad \xEF\xBF\xBD byte");
  CHECK(raw->author == "\xEF\xBF\xBD");
}
