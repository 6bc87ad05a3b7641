// The copy task against the stand-in CLI keeping its racks' state: a build
// exported from one rack is imported into another, through a pipe.

#include "config/racks.hh"
#include "executor/harness.hh"

using cwf::store::JobState;
using cwf::store::TaskState;
using cwf::test::Harness;

namespace {

// The issue's pipeline: build once on staging, deploy the same build to production.
const char* kBuildOnceDeployTwice = R"y(  - name: deploy
    trigger: {integration: github, repository: acme/web, branch: main}
    tasks:
      - {type: build, app: web, rack: acme/staging, promote: true}
      - {type: copy, app: web, rack: acme/production}
      - {type: promote, app: web, rack: acme/production}
      - {type: script, command: 'echo "release=$RELEASE build=$BUILD_ID"'}
)y";

// A harness whose stand-in keeps state, with a manifest in the repository
// and the app on both racks, reached through the racks file's RACK_URLs.
void two_rack_harness(Harness& h) {
  cwf::test::sh(h.repo, "echo 'services: {web: {build: .}}' > docker-compose.yml && git add -A && git commit -qm compose");
  h.options.racks = cwf::test::two_racks();
  h.keep_rack_state();
  h.create_app("web", "rack.staging.example");
  h.create_app("web", "rack.production.example");
}

}  // namespace

TEST_CASE("copy: built and promoted on staging, the same build copied to production and promoted there") {
  Harness h;
  two_rack_harness(h);
  h.load(kBuildOnceDeployTwice);
  auto job = h.run();
  INFO(h.convox_calls());
  REQUIRE(job.state == JobState::succeeded);
  const auto& build = job.tasks[0];
  const auto& copy = job.tasks[1];
  CHECK(copy.name == "copy web from acme/staging to acme/production");
  CHECK(copy.type == "copy");
  CHECK(copy.build_id == build.build_id);  // the build it copied
  CHECK(copy.release_id.starts_with("R"));
  CHECK(copy.release_id != build.release_id);  // a release exists on one rack
  CHECK(job.tasks[2].release_id == copy.release_id);
  // What each rack runs now: the stand-in checked each release was that rack's.
  CHECK(h.current_release("web", "rack.staging.example") == build.release_id);
  CHECK(h.current_release("web", "rack.production.example") == copy.release_id);

  std::string calls = h.convox_calls();
  auto exported = calls.find("builds\texport\t" + build.build_id + "\t--app\tweb\nRACK rack.staging.example");
  auto imported = calls.find("builds\timport\t--app\tweb\t--id\nRACK rack.production.example");
  CHECK(exported != std::string::npos);
  CHECK(imported != std::string::npos);
  CHECK(calls.find("--rack") == std::string::npos);  // RACK_URL picks each side's rack
  std::string log = h.log(job, 1);
  CHECK(log.find("copying build " + build.build_id + " of web on acme/staging to web on acme/production") !=
        std::string::npos);
  CHECK(log.find("OK, " + copy.release_id) != std::string::npos);
  CHECK(log.find("pr0d-pw") == std::string::npos);
  CHECK(h.log(job, 3).find("release=" + copy.release_id + " build=" + build.build_id) != std::string::npos);
}

TEST_CASE("copy: the target rack lacks the app - the import's error, and the promote never runs") {
  Harness h;
  cwf::test::sh(h.repo, "echo 'services: {}' > docker-compose.yml && git add -A && git commit -qm compose");
  h.options.racks = cwf::test::two_racks();
  h.keep_rack_state();
  h.create_app("web", "rack.staging.example");
  // Larger than the pipe holds: the export dies of SIGPIPE when the import leaves.
  h.convox_env.push_back("FAKE_CONVOX_EXPORT_MB=4");
  h.load(kBuildOnceDeployTwice);
  auto job = h.run();
  CHECK(job.state == JobState::failed);
  CHECK(job.tasks[1].state == TaskState::failed);
  CHECK(job.tasks[1].reason == "convox builds import exited with 1: ERROR: app not found: web");
  CHECK(job.tasks[2].state == TaskState::skipped);
  CHECK(h.convox_calls().find("releases\tpromote\t" + job.tasks[1].release_id + "\t") == std::string::npos);
}

TEST_CASE("copy: a build the source app lacks - the export's error") {
  Harness h;
  two_rack_harness(h);
  h.load(R"y(  - name: deploy
    trigger: {integration: github, repository: acme/web, branch: main}
    tasks:
      - {type: copy, build: BNOSUCHBUILD, from: {app: web, rack: acme/staging}, rack: acme/production}
)y");
  auto job = h.run();
  CHECK(job.state == JobState::failed);
  CHECK(job.tasks[0].reason == "convox builds export exited with 1: ERROR: build not found: BNOSUCHBUILD");
  CHECK(h.current_release("web", "rack.production.example").empty());
}

TEST_CASE("copy: a named build goes to another app on the same rack, and a failed export halts") {
  Harness h;
  cwf::test::sh(h.repo, "echo 'services: {}' > docker-compose.yml && git add -A && git commit -qm compose");
  h.keep_rack_state();
  h.create_app("web", "acme/staging");
  h.create_app("web-eu", "acme/staging");
  h.load(R"y(  - name: deploy
    trigger: {integration: github, repository: acme/web, branch: main}
    tasks:
      - {type: build, app: web, rack: acme/staging}
      - {type: copy, app: web-eu, rack: acme/staging}
      - {type: promote, app: web-eu, rack: acme/staging}
)y");
  auto job = h.run();
  INFO(h.convox_calls());
  REQUIRE(job.state == JobState::succeeded);
  CHECK(job.tasks[1].name == "copy web to web-eu on acme/staging");
  // Without a racks file each side's rack goes as --rack.
  std::string calls = h.convox_calls();
  CHECK(calls.find("builds\texport\t" + job.tasks[0].build_id + "\t--app\tweb\t--rack\tacme/staging\n") !=
        std::string::npos);
  CHECK(calls.find("builds\timport\t--app\tweb-eu\t--id\t--rack\tacme/staging\n") != std::string::npos);
  CHECK(h.current_release("web-eu", "acme/staging") == job.tasks[1].release_id);
  CHECK(h.current_release("web", "acme/staging").empty());

  Harness failing;
  failing.convox_env = {"FAKE_CONVOX_FAIL=export"};
  failing.load(R"y(  - name: deploy
    trigger: {integration: github, repository: acme/web, branch: main}
    tasks:
      - {type: build, app: web}
      - {type: copy, app: web-eu}
      - {type: promote, app: web-eu}
)y");
  auto failed = failing.run();
  CHECK(failed.tasks[1].reason == "convox builds export exited with 1: ERROR: export failed");
  CHECK(failed.tasks[2].state == TaskState::skipped);
}

TEST_CASE("copy: a large build flows from one CLI to the other, never into the log") {
  Harness h;
  two_rack_harness(h);
  h.convox_env.push_back("FAKE_CONVOX_EXPORT_MB=48");
  h.load(kBuildOnceDeployTwice);
  auto job = h.run();
  REQUIRE(job.state == JobState::succeeded);
  CHECK(job.tasks[1].log_bytes < 4096);
  CHECK(h.current_release("web", "rack.production.example") == job.tasks[1].release_id);
}

TEST_CASE("copy: a hanging import times out, and both commands are stopped") {
  Harness h;
  h.convox_env = {"FAKE_CONVOX_HANG=import"};
  h.load(R"y(  - name: deploy
    trigger: {integration: github, repository: acme/web, branch: main}
    tasks:
      - {type: build, app: web, rack: acme/staging}
      - {type: copy, rack: acme/production, timeout: 1s}
)y");
  auto started = std::chrono::steady_clock::now();
  auto job = h.run();
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(20));
  CHECK(job.tasks[1].state == TaskState::timed_out);
  CHECK(job.tasks[1].reason == "convox builds export | convox builds import timed out after 1s");
}
