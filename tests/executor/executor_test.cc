// The executor end to end: real processes, a real checkout, a real SQLite
// store, and the stand-in convox CLI.

#include <csignal>
#include <sys/resource.h>
#include <fstream>
#include <thread>

#include "executor/harness.hh"

using cwf::store::JobState;
using cwf::store::TaskState;
using cwf::test::Harness;
using cwf::test::script_workflow;

namespace {

const char* kSeed = R"y(  - name: deploy
    trigger: {integration: github, repository: acme/web, branch: main}
    tasks:
      - {type: build, name: staging, app: web-staging, promote: true}
      - {type: build, name: production, app: web, manifest: docker-compose.yml, build_args: {VERSION: "2"}}
)y";

}  // namespace

TEST_CASE("the seed pipeline: staging built and promoted, production built and not promoted") {
  Harness h;
  h.load(kSeed);
  auto job = h.run();
  CHECK(job.state == JobState::succeeded);
  REQUIRE(job.tasks.size() == 2);
  CHECK(job.tasks[0].state == TaskState::succeeded);
  CHECK(job.tasks[0].release_id.starts_with("R"));
  CHECK(job.tasks[0].build_id.starts_with("B"));
  CHECK(job.tasks[1].state == TaskState::succeeded);
  CHECK(job.tasks[1].release_id != job.tasks[0].release_id);
  std::string calls = h.convox_calls();
  CHECK(calls.find("build\t") != std::string::npos);
  CHECK(calls.find("--app\tweb-staging\t--manifest\tdocker-compose.yml\t--description\t") != std::string::npos);
  CHECK(calls.find("releases\tpromote\t" + job.tasks[0].release_id + "\t--app\tweb-staging\t--wait") != std::string::npos);
  CHECK(calls.find("promote\t" + job.tasks[1].release_id) == std::string::npos);
  CHECK(calls.find("--build-args\tVERSION=2") != std::string::npos);
  // The workspace the CLI builds is a checkout of the commit, with its .git.
  CHECK(calls.find("HEAD " + job.commit_sha) != std::string::npos);
  CHECK(h.log(job, 0).find("Promoting " + job.tasks[0].release_id) != std::string::npos);
}

TEST_CASE("staging's promotion rolls back: production is never built and the job fails with why") {
  Harness h;
  h.convox_env = {"FAKE_CONVOX_FAIL=promote:web-staging"};
  h.load(kSeed);
  auto job = h.run();
  CHECK(job.state == JobState::failed);
  CHECK(job.tasks[0].state == TaskState::failed);
  CHECK(job.tasks[0].reason == "convox releases promote exited with 1: ERROR: rollback");
  CHECK(job.tasks[1].state == TaskState::skipped);
  CHECK(job.reason == "tasks[0] (staging) failed: convox releases promote exited with 1: ERROR: rollback");
  CHECK(h.convox_calls().find("--app\tweb\t") == std::string::npos);
}

TEST_CASE("a failed build halts the job with the CLI's error") {
  Harness h;
  h.convox_env = {"FAKE_CONVOX_FAIL=build"};
  h.load(kSeed);
  auto job = h.run();
  CHECK(job.state == JobState::failed);
  CHECK(job.tasks[0].reason == "convox build exited with 1: ERROR: build failed");
  CHECK(job.tasks[0].exit_code == 1);
}

TEST_CASE("a promote task promotes the release of the nearest earlier build - run uses it too") {
  Harness h;
  h.load(R"y(  - name: deploy
    trigger: {integration: github, repository: acme/web, branch: main}
    tasks:
      - {type: build, app: web}
      - {type: run, app: web, service: web, command: "bin/migrate --all"}
      - {type: promote, app: web}
      - {type: script, command: 'echo "release=$RELEASE build=$BUILD_ID app=${APP:-none}"'}
)y");
  auto job = h.run();
  CHECK(job.state == JobState::succeeded);
  std::string release = job.tasks[0].release_id;
  std::string calls = h.convox_calls();
  CHECK(calls.find("run\tweb\tbin/migrate --all\t--app\tweb\t--release\t" + release) != std::string::npos);
  CHECK(calls.find("releases\tpromote\t" + release + "\t--app\tweb\t--wait") != std::string::npos);
  CHECK(job.tasks[2].release_id == release);
  CHECK(h.log(job, 3).find("release=" + release + " build=" + job.tasks[0].build_id + " app=none") != std::string::npos);
}

TEST_CASE("halt on failure - continue_on_error records an allowed failure and goes on") {
  Harness h;
  h.load(script_workflow(R"y(      - {type: script, name: lint, command: "exit 4", continue_on_error: true}
      - {type: script, name: test, command: "echo testing; exit 2"}
      - {type: script, name: deploy, command: "echo deploying"}
)y"));
  auto job = h.run();
  CHECK(job.state == JobState::failed);
  CHECK(job.tasks[0].state == TaskState::allowed_failure);
  CHECK(job.tasks[0].exit_code == 4);
  CHECK(job.tasks[1].state == TaskState::failed);
  CHECK(job.tasks[1].reason == "the command exited with 2");
  CHECK(job.tasks[2].state == TaskState::skipped);
  CHECK_FALSE(job.tasks[2].started_at.has_value());
  CHECK(job.tasks[2].log_path.empty());
  CHECK(job.reason == "tasks[1] (test) failed: the command exited with 2");
}

TEST_CASE("a task that runs too long is stopped and times out") {
  Harness h;
  h.load(script_workflow(R"y(      - {type: script, command: "echo start; sleep 30", timeout: 1s}
      - {type: script, command: "echo never"}
)y"));
  auto started = std::chrono::steady_clock::now();
  auto job = h.run();
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  CHECK(job.state == JobState::failed);
  CHECK(job.tasks[0].state == TaskState::timed_out);
  CHECK(job.tasks[0].reason == "the command timed out after 1s");
  CHECK(job.tasks[0].signal == SIGTERM);
  CHECK(job.tasks[1].state == TaskState::skipped);
  CHECK(job.reason.starts_with("tasks[0] (script) timed out"));
}

TEST_CASE("a task that ignores SIGTERM gets SIGKILL after the grace") {
  Harness h;
  h.load(script_workflow("      - {type: script, command: \"trap '' TERM; echo ready; sleep 30\", timeout: 1s}\n"));
  auto job = h.run();
  CHECK(job.tasks[0].state == TaskState::timed_out);
  CHECK(job.tasks[0].signal == SIGKILL);
}

TEST_CASE("cancel stops the running task and skips the rest") {
  Harness h;
  h.load(script_workflow(R"y(      - {type: script, command: "echo one"}
      - {type: script, command: "sleep 30"}
      - {type: script, command: "echo three"}
)y"));
  cwf::executor::CancelToken cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    cancel.cancel();
  });
  auto job = h.run(&cancel);
  canceller.join();
  CHECK(job.state == JobState::cancelled);
  CHECK(job.tasks[0].state == TaskState::succeeded);
  CHECK(job.tasks[1].state == TaskState::cancelled);
  CHECK(job.tasks[2].state == TaskState::skipped);
}

TEST_CASE("nothing a task started outlives it") {
  Harness h;
  auto pidfile = h.tmp.path() / "orphan.pid";
  h.load(script_workflow("      - {type: script, command: \"sleep 1000 & echo $! > '" + pidfile.string() +
                         "'; echo left it running\"}\n"));
  auto job = h.run();
  CHECK(job.state == JobState::succeeded);
  std::ifstream in(pidfile);
  pid_t pid = 0;
  in >> pid;
  REQUIRE(pid > 0);
  // Gone, or a zombie waiting for init to reap it.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  bool alive = !line.empty() && line.find(") Z ") == std::string::npos;
  CHECK_FALSE(alive);
}

TEST_CASE("the runner's variables reach tasks only through the environment") {
  Harness h;
  h.branch = "feat/$(touch pwned)`touch pwned2`";
  h.load(script_workflow(R"y(      - type: script
        command: 'echo "wf=$CONVOX_WORKFLOW job=$CONVOX_JOB_ID sha=$BUILD_GIT_SHA repo=$GIT_REPOSITORY"; echo "branch=$GIT_BRANCH"; echo "mine=$MINE"; ls'
        env: {MINE: "yes $(touch pwned3)"}
)y"));
  auto job = h.run();
  CHECK(job.state == JobState::succeeded);
  std::string log = h.log(job, 0);
  CHECK(log.find("wf=t job=" + std::to_string(job.id) + " sha=" + job.commit_sha + " repo=file:///srv/t.git") !=
        std::string::npos);
  CHECK(log.find("branch=feat/$(touch pwned)`touch pwned2`") != std::string::npos);
  CHECK(log.find("mine=yes $(touch pwned3)") != std::string::npos);
  for (const char* file : {" pwned\n", " pwned2\n", " pwned3\n"}) CHECK(log.find(file) == std::string::npos);
}

TEST_CASE("secrets are masked, also when split across two reads of the pipe") {
  Harness h;
  h.extra_env = {"DEPLOY_TOKEN=s3cr3t-value-123", "OTHER=plain-value-456"};
  h.options.secret_env = {"OTHER"};
  h.load(script_workflow(R"y(      - type: script
        command: "printf 'a s3cr3t-'; sleep 0.3; printf 'value-123 b\n'; echo plain-value-456; echo $DEPLOY_TOKEN"
)y"));
  auto job = h.run();
  std::string log = h.log(job, 0);
  CHECK(log.find("a *** b\n") != std::string::npos);
  CHECK(log.find("s3cr3t") == std::string::npos);
  CHECK(log.find("plain-value") == std::string::npos);
}

TEST_CASE("a task gets a minimal environment, what it lists, and never the runner's own") {
  Harness h;
  const std::string key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n"
                          "-----END OPENSSH PRIVATE KEY-----";
  h.extra_env = {"GITHUB_TOKEN=ghp-runner-token", "GITHUB_TOKEN_FILE=/run/secrets/gh",
                 "CONVOX_WORKFLOWS_API_TOKEN_FILE=/run/secrets/api", "CONVOX_PASSWORD=rack-pa55word",
                 "RACK_URL=https://convox:rack-pa55word@rack.example.com", "SOME_SETTING=plain", "LANG=C.UTF-8",
                 "DEPLOY_KEY=" + key};
  h.convox_env = {"FAKE_CONVOX_ENV=" + (h.tmp.path() / "convox-env").string()};
  h.load(script_workflow(R"y(      - type: script
        name: plain
        command: 'env | cut -d= -f1 | sort | tr "\n" " "; echo; echo "pw=[$CONVOX_PASSWORD]"'
      - type: script
        name: listed
        command: 'echo "pw=$CONVOX_PASSWORD len=${#CONVOX_PASSWORD} mine=$MINE"; printf "%s\n" "$DEPLOY_KEY"'
        env: {MINE: mine-value}
        secrets: [CONVOX_PASSWORD, DEPLOY_KEY]
      - {type: build, app: web}
)y"));
  auto job = h.run();
  REQUIRE(job.state == JobState::succeeded);
  std::string plain = h.log(job, 0);
  INFO(plain);
  for (const char* name : {" BUILD_GIT_SHA ", " CONVOX_JOB_ID ", " CONVOX_WORKFLOW ", " GIT_BRANCH ",
                           " GIT_REPOSITORY ", " HOME ", " LANG ", " PATH "})
    CHECK(plain.find(name) != std::string::npos);
  for (const char* name : {"GITHUB_TOKEN", "CONVOX_WORKFLOWS", "CONVOX_PASSWORD ", "RACK_URL", "SOME_SETTING",
                           "DEPLOY_KEY", "FAKE_CONVOX"})
    CHECK(plain.find(name) == std::string::npos);
  CHECK(plain.find("pw=[]") != std::string::npos);
  std::string listed = h.log(job, 1);
  INFO(listed);
  CHECK(listed.find("pw=*** len=13 mine=mine-value") != std::string::npos);
  CHECK(listed.find("b3BlbnNzaC1") == std::string::npos);  // each line of the key is masked
  CHECK(listed.find("PRIVATE KEY") == std::string::npos);
  // The convox CLI: its rack's credentials, none of the rest.
  std::string cli = cwf::test::read_file(h.tmp.path() / "convox-env");
  INFO(cli);
  CHECK(cli.find(" CONVOX_PASSWORD ") != std::string::npos);
  CHECK(cli.find(" RACK_URL ") != std::string::npos);
  CHECK(cli.find(" APP ") != std::string::npos);
  for (const char* name : {"GITHUB_TOKEN", "CONVOX_WORKFLOWS", "SOME_SETTING", "DEPLOY_KEY"})
    CHECK(cli.find(name) == std::string::npos);
}

TEST_CASE("a listed secret the runner doesn't have fails the task before it runs") {
  Harness h;
  h.load(script_workflow("      - {type: script, command: 'echo ran', secrets: [NOT_THERE_TOKEN]}\n"));
  auto job = h.run();
  CHECK(job.state == JobState::failed);
  CHECK(job.tasks[0].reason == "secrets: NOT_THERE_TOKEN is not set in the runner's environment");
  CHECK(h.log(job, 0).find("ran") == std::string::npos);
}

TEST_CASE("a missing executable fails the task with that reason") {
  Harness h;
  h.load(script_workflow("      - {type: script, argv: [no-such-program-cwf, --flag]}\n"));
  auto job = h.run();
  CHECK(job.state == JobState::failed);
  CHECK(job.tasks[0].reason == "executable not found: no-such-program-cwf");
}

TEST_CASE("a missing convox CLI fails the build with that reason") {
  Harness h;
  h.options.convox_bin = "/nonexistent/convox";
  h.load(kSeed);
  auto job = h.run();
  CHECK(job.tasks[0].reason == "executable not found: /nonexistent/convox");
}

TEST_CASE("working_directory: inside the checkout, never through a symlink out of it") {
  Harness h;
  h.load(script_workflow(R"y(      - {type: script, command: "pwd; ls", working_directory: sub}
      - {type: script, command: "pwd", working_directory: escape}
)y"));
  auto job = h.run();
  CHECK(job.tasks[0].state == TaskState::succeeded);
  CHECK(h.log(job, 0).find("/sub\n") != std::string::npos);
  CHECK(job.tasks[1].state == TaskState::failed);
  CHECK(job.tasks[1].reason == "working_directory 'escape' leads outside the checkout");
}

TEST_CASE("NUL bytes and invalid UTF-8 in output become U+FFFD") {
  Harness h;
  h.load(script_workflow("      - {type: script, command: \"printf 'a\\\\000b\\\\377\\\\376c\\\\n'\"}\n"));
  auto job = h.run();
  CHECK(job.state == JobState::succeeded);
  CHECK(h.log(job, 0).find(" a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD" "c\n") != std::string::npos);
}

TEST_CASE("a task printing 200 MB: the log stops at the cap and says so - the task completes") {
  Harness h;
  h.load(script_workflow(R"y(      - {type: script, command: "yes 0123456789012345678901234567890123456789 | head -c 200000000; echo done >&2"}
      - {type: script, command: "echo after"}
)y"));
  auto job = h.run();
  CHECK(job.state == JobState::succeeded);
  std::string log = h.log(job, 0);
  CHECK(log.size() < (66u << 20));
  CHECK(log.size() > (63u << 20));
  CHECK(log.find("[log truncated: this job's log reached its limit of 64 MiB; the task keeps running]") !=
        std::string::npos);
  CHECK(log.find("<== script: succeeded") != std::string::npos);
  CHECK(h.log(job, 1).find("<== script: succeeded") != std::string::npos);
  // The cap is the job's: later tasks' output is dropped too, their header
  // and result lines are kept.
  CHECK(h.log(job, 1).find("==> [2/2] script") != std::string::npos);
  CHECK(h.log(job, 1).find(" after\n") == std::string::npos);
}

TEST_CASE("a convox command that hangs times out and is killed") {
  Harness h;
  h.convox_env = {"FAKE_CONVOX_HANG=build"};
  h.load(R"y(  - name: deploy
    trigger: {integration: github, repository: acme/web, branch: main}
    tasks: [{type: build, app: web, timeout: 1s}]
)y");
  auto started = std::chrono::steady_clock::now();
  auto job = h.run();
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  CHECK(job.tasks[0].state == TaskState::timed_out);
  CHECK(job.tasks[0].reason == "convox build timed out after 1s");
}

namespace {

// The database can't grow while this lives: writes past its files' sizes
// fail with EFBIG, as they would with ENOSPC on a full disk.
struct FullDisk {
  rlimit before{};
  explicit FullDisk(const std::filesystem::path& data) {
    ::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &before);
    std::error_code ec;
    auto wal = std::filesystem::file_size(data / "jobs.db-wal", ec);
    rlimit full = before;
    full.rlim_cur = static_cast<rlim_t>(ec ? 0 : wal);
    ::setrlimit(RLIMIT_FSIZE, &full);
  }
  ~FullDisk() { lift(); }
  void lift() { ::setrlimit(RLIMIT_FSIZE, &before); }
};

}  // namespace

TEST_CASE("a job whose end the store can't record shows its true end, and it lands when the store recovers") {
  Harness h;
  h.load(script_workflow("      - {type: script, name: first, command: 'sleep 0.4; echo done'}\n"
                         "      - {type: script, name: second, command: 'echo second'}\n"));
  std::optional<FullDisk> full;
  std::thread filler([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));  // the first task runs
    full.emplace(h.data);
  });
  struct Join {
    std::thread& t;
    ~Join() { t.join(); }
  } join{filler};
  auto job = h.run();  // read back from the store: its memory, over the database
  CHECK(job.id > 0);
  REQUIRE(h.store->unrecorded() == 1);
  CHECK(job.state == JobState::failed);
  CHECK(job.reason.rfind("the job store could not record a task's start: ", 0) == 0);
  CHECK(job.finished_at.has_value());
  CHECK(job.tasks[0].state == TaskState::succeeded);
  CHECK(job.tasks[0].log_bytes > 0);
  CHECK(job.tasks[1].state == TaskState::skipped);
  CHECK(h.store->retry_unrecorded(std::numeric_limits<std::int64_t>::max()) == 1);  // still full
  full->lift();
  CHECK(h.store->retry_unrecorded(std::numeric_limits<std::int64_t>::max()) == 0);
  auto reader = cwf::store::JobStore::open(h.data, true);
  REQUIRE(reader.ok());
  auto landed = (*reader)->get_job(job.id);
  REQUIRE(landed.has_value());
  CHECK(landed->state == JobState::failed);
  CHECK(landed->reason == job.reason);
  CHECK(landed->tasks[0].state == TaskState::succeeded);
  CHECK(landed->tasks[0].log_bytes == job.tasks[0].log_bytes);
}

TEST_CASE("an end still unrecorded at shutdown is saved, and recorded by the next store that opens") {
  Harness h;
  h.load(script_workflow("      - {type: script, command: 'echo one'}\n"));
  cwf::store::JobEnd end;
  std::int64_t id = 0;
  {
    auto job = h.run();
    id = job.id;
    FullDisk full(h.data);
    end.id = id;
    end.state = JobState::cancelled;
    end.reason = "cancelled";
    end.started_at = job.started_at;
    end.finished_at = *job.finished_at + 1;
    for (const auto& t : job.tasks) end.tasks.push_back(t);
    end.tasks[0].state = TaskState::cancelled;
    CHECK_FALSE(h.store->finish_job(end));
    REQUIRE(h.store->save_unrecorded().ok());  // a small new file fits where the database can't grow
  }
  CHECK(std::filesystem::exists(h.data / "unrecorded-ends.json"));
  h.store.reset();
  auto reopened = cwf::store::JobStore::open(h.data);
  REQUIRE(reopened.ok());
  auto job = (*reopened)->get_job(id);
  REQUIRE(job.has_value());
  CHECK(job->state == JobState::cancelled);
  CHECK(job->tasks[0].state == TaskState::cancelled);
  CHECK(job->finished_at == end.finished_at);
  CHECK_FALSE(std::filesystem::exists(h.data / "unrecorded-ends.json"));
}

namespace {

const char* kTwoRacks = R"y(  - name: deploy
    trigger: {integration: github, repository: acme/web, branch: main}
    tasks:
      - {type: build, app: web, rack: acme/staging, promote: true}
      - {type: build, app: web, rack: acme/production}
      - {type: script, command: 'echo "rack_url=${RACK_URL:-unset}"'}
)y";

}  // namespace

TEST_CASE("with a racks file each task's RACK_URL is its own rack, whatever the runner's environment says") {
  Harness h;
  h.options.racks = cwf::test::two_racks();
  // These would pick other racks; the racks file's RACK_URL replaces them all.
  h.extra_env = {"RACK_URL=https://convox:wrong@rack.wrong.example", "CONVOX_HOST=console.example",
                 "CONVOX_PASSWORD=console-pw", "CONVOX_RACK=acme/wrong"};
  h.convox_env = {"FAKE_CONVOX_ENV=" + (h.tmp.path() / "convox-env").string()};
  h.load(kTwoRacks);
  auto job = h.run();
  REQUIRE(job.state == JobState::succeeded);
  std::string calls = h.convox_calls();
  INFO(calls);
  // build and promote on staging, then the build on production; no --rack on the command lines.
  auto first = calls.find("RACK rack.staging.example");
  auto promote = calls.find("releases\tpromote");
  auto second = calls.find("RACK rack.production.example");
  CHECK(first < promote);
  CHECK(promote < second);
  CHECK(second != std::string::npos);
  CHECK(calls.find("wrong") == std::string::npos);
  CHECK(calls.find("--rack") == std::string::npos);
  std::string env = cwf::test::read_file(h.tmp.path() / "convox-env");
  CHECK(env.find(" CONVOX_HOST ") == std::string::npos);
  CHECK(env.find(" CONVOX_PASSWORD ") == std::string::npos);
  CHECK(env.find(" CONVOX_RACK ") == std::string::npos);
  CHECK(h.log(job, 2).find("rack_url=unset") != std::string::npos);  // a script gets no rack
}

TEST_CASE("without a racks file, RACK_URL and a task naming a rack: the job never starts") {
  Harness h;
  h.extra_env = {"RACK_URL=https://convox:pw@rack.example"};
  h.load(kTwoRacks);
  auto job = h.run();
  CHECK(job.state == JobState::failed);
  CHECK(job.reason == "tasks[0] (build web) names the rack acme/staging, but RACK_URL is set in the runner's environment "
                      "and the convox CLI would act on RACK_URL's rack instead; name each rack in --racks-file, or unset "
                      "RACK_URL");
  for (const auto& t : job.tasks) CHECK(t.state == TaskState::skipped);
  CHECK_FALSE(std::filesystem::exists(h.calls));  // the CLI never ran
}

TEST_CASE("without RACK_URL, --rack goes to the CLI as before") {
  Harness h;
  h.load(kTwoRacks);
  auto job = h.run();
  CHECK(job.state == JobState::succeeded);
  CHECK(h.convox_calls().find("--rack\tacme/staging") != std::string::npos);
  CHECK(h.convox_calls().find("RACK acme/staging") != std::string::npos);
}
