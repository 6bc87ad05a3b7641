#include <catch2/catch.hpp>

#include "executor/convox_cli.hh"

using namespace cwf::executor;

TEST_CASE("build ids are read from convox build --id output in any chunking") {
  std::string out =
      "Packaging source... OK\nStarting build... OK\nBuild:   BABCDEFGHIJ\nRelease: RBCDEFGHIJK\nRBCDEFGHIJK";
  for (std::size_t split = 0; split <= out.size(); split += 7) {
    BuildOutputScanner s;
    s.feed(out.substr(0, split));
    s.feed(out.substr(split));
    s.finish();
    CHECK(s.build_id() == "BABCDEFGHIJ");
    CHECK(s.release_id() == "RBCDEFGHIJK");
  }
}

TEST_CASE("the release id printed on stdout may be glued before a stderr line") {
  BuildOutputScanner s;
  s.feed("Step 3/3\nRXYZBuild:   BXYZ\nRelease: RXYZ\n");
  CHECK(s.build_id() == "BXYZ");
  CHECK(s.release_id() == "RXYZ");
}

TEST_CASE("the CLI's error line is kept") {
  BuildOutputScanner s;
  s.feed("Starting build... OK\nERROR: build failed\n");
  CHECK(s.error_line() == "ERROR: build failed");
  CHECK(s.release_id().empty());
}

TEST_CASE("command lines keep every value one argument") {
  cwf::config::Task t;
  t.app = "web";
  t.rack = "acme/prod";
  t.manifest = "docker-compose.prod.yml";
  t.build_args = {{"A", "1 2"}, {"B", "$(x)"}};
  CHECK(build_argv("convox", t, "/ws", "my build") ==
        std::vector<std::string>{"convox", "build", "/ws", "--app", "web", "--manifest", "docker-compose.prod.yml",
                                 "--description", "my build", "--id", "--rack", "acme/prod", "--build-args", "A=1 2",
                                 "--build-args", "B=$(x)"});
  CHECK(promote_argv("convox", t, "R1") ==
        std::vector<std::string>{"convox", "releases", "promote", "R1", "--app", "web", "--wait", "--rack", "acme/prod"});
  t.service = "web";
  t.command = "rake db:migrate";
  CHECK(run_argv("convox", t, "") ==
        std::vector<std::string>{"convox", "run", "web", "rake db:migrate", "--app", "web", "--rack", "acme/prod"});
}

TEST_CASE("a copy's command lines: the export on the build's app and rack, the import on the target's") {
  cwf::config::Task t;
  t.type = cwf::config::TaskType::copy;
  t.app = "web-eu";
  t.rack = "acme/eu";
  t.from_app = "web";
  t.from_rack = "acme/us";
  CHECK(export_argv("convox", t, "BABC") ==
        std::vector<std::string>{"convox", "builds", "export", "BABC", "--app", "web", "--rack", "acme/us"});
  CHECK(import_argv("convox", t) ==
        std::vector<std::string>{"convox", "builds", "import", "--app", "web-eu", "--id", "--rack", "acme/eu"});
}

TEST_CASE("builds import: the release from 'OK, R...', with the export's lines between, in any chunking") {
  // What `convox builds export | convox builds import --id` prints, both streams of both.
  std::string out = "Importing build... Exporting build... OK\nOK, RNEWRELEASE\nRNEWRELEASE";
  for (std::size_t split = 0; split <= out.size(); ++split) {
    BuildOutputScanner s;
    s.feed(out.substr(0, split));
    s.feed(out.substr(split));
    s.finish();
    CHECK(s.release_id() == "RNEWRELEASE");
    CHECK(s.error_line().empty());
  }
  BuildOutputScanner plain;
  plain.feed("Exporting build... OK\n");  // an export's OK is no release
  plain.finish();
  CHECK(plain.release_id().empty());
}

TEST_CASE("an error ending a step's line counts, and the first of several is kept too") {
  BuildOutputScanner s;
  s.feed("Exporting build... ERROR: build not found: BX\nImporting build... ERROR: invalid build\n");
  CHECK(s.first_error_line() == "ERROR: build not found: BX");
  CHECK(s.error_line() == "ERROR: invalid build");
  BuildOutputScanner log;
  log.feed("npm said ERROR: in the middle of a line\n");  // a build's log line is not the CLI's
  CHECK(log.error_line().empty());
}
