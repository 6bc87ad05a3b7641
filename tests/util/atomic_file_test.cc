// Replacing a file whole or not at all, a full disk included (simulated by
// RLIMIT_FSIZE, which fails writes with EFBIG as ENOSPC would).

#include <catch2/catch.hpp>
#include <csignal>
#include <sys/resource.h>

#include "test_support.hh"
#include "util/atomic_file.hh"

using namespace cwf;

TEST_CASE("a file is replaced whole, and kept as it was when the write fails") {
  test::TempDir tmp;
  auto path = tmp.path() / "state.json";
  REQUIRE(write_file_atomically(path, "first\n"));
  CHECK(test::read_file(path) == "first\n");
  REQUIRE(write_file_atomically(path, "second\n"));
  CHECK(test::read_file(path) == "second\n");

  rlimit old{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
  auto previous = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = 1000;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  auto full = write_file_atomically(path, std::string(5000, 'x'));
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, previous);
  REQUIRE_FALSE(full);
  CHECK_THAT(full.error().message, Catch::Contains("state.json: cannot write"));
  CHECK(test::read_file(path) == "second\n");  // not truncated
  CHECK_FALSE(std::filesystem::exists(tmp.path() / "state.json.tmp"));

  auto nowhere = write_file_atomically(tmp.path() / "no-such-dir/state.json", "x");
  REQUIRE_FALSE(nowhere);
  CHECK_THAT(nowhere.error().message, Catch::Contains("cannot create the temporary file"));
}
