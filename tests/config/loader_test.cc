#include <catch2/catch.hpp>

#include "config/loader.hh"
#include "config/names.hh"

using namespace cwf::config;

namespace {

Config must_load(const std::string& text) {
  auto r = load_string("t.yml", text);
  for (const auto& d : r.diags.items()) INFO(format_diagnostic("t.yml", d));
  REQUIRE(r.config.has_value());
  return *r.config;
}

const char* kSeed = R"(version: 1
defaults: {rack: acme/prod, timeout: 20m}
workflows:
  - name: deploy
    trigger: {integration: github, repository: acme/web, branch: main}
    tasks:
      - {type: build, app: web-staging, promote: true, health_check: {url: "https://s.example/up"}}
      - {type: build, app: web, rack: acme/other, timeout: 2h}
      - {type: run, app: web, rack: acme/other, service: web, command: bin/migrate}
      - {type: promote, app: web, rack: acme/other}
      - {type: script, command: "echo done"}
)";

}  // namespace

TEST_CASE("defaults apply where a task sets none") {
  Config c = must_load(kSeed);
  const auto& tasks = c.workflows.at(0).tasks;
  CHECK(tasks[0].rack == "acme/prod");
  CHECK(tasks[0].timeout == Seconds{1200});
  CHECK(tasks[1].rack == "acme/other");
  CHECK(tasks[1].timeout == Seconds{7200});
  CHECK(tasks[0].manifest == "docker-compose.yml");
  CHECK(tasks[4].timeout == Seconds{1200});
  CHECK(tasks[4].rack.empty());
  CHECK(c.workflows[0].trigger.require_status);
  CHECK(c.workflows[0].concurrency == Concurrency::queue);
}

TEST_CASE("health check defaults") {
  Config c = must_load(kSeed);
  const auto& hc = c.workflows[0].tasks[0].health_check;
  REQUIRE(hc.has_value());
  CHECK(hc->timeout == Seconds{300});
  CHECK(hc->interval == Seconds{5});
  CHECK(hc->expect_min == 200);
  CHECK(hc->expect_max == 399);
}

TEST_CASE("promote and run use the release of the nearest earlier build of their app") {
  Config c = must_load(kSeed);
  const auto& tasks = c.workflows[0].tasks;
  CHECK(tasks[2].release_from_task == 1);
  CHECK(tasks[3].release_from_task == 1);
  CHECK(tasks[3].name == "promote web");
}

TEST_CASE("a run with no earlier build uses the current release") {
  Config c = must_load(R"(version: 1
workflows:
  - name: migrate
    trigger: {integration: gitlab, repository: a/b/c, branch: main}
    tasks: [{type: run, app: api, service: web, command: x}]
)");
  CHECK_FALSE(c.workflows[0].tasks[0].release_from_task.has_value());
  CHECK(c.workflows[0].tasks[0].release.empty());
}

TEST_CASE("plain git never requires a status") {
  Config c = must_load(R"(version: 1
workflows:
  - name: t
    trigger: {integration: git, repository: "file:///srv/t.git", branch: main}
    tasks: [{type: script, argv: [make, test]}]
)");
  CHECK_FALSE(c.workflows[0].trigger.require_status);
  CHECK(c.workflows[0].tasks[0].argv == std::vector<std::string>{"make", "test"});
}

TEST_CASE("warnings never block") {
  auto r = load_string("t.yml", R"(version: 1
workflows:
  - name: t
    trigger: {integration: git, repository: "file:///srv/t.git", branch: main}
    tasks:
      - {type: script, name: step, command: a, env: {GIT_BRANCH: x}}
      - {type: script, name: step, command: b}
)");
  REQUIRE(r.config.has_value());
  REQUIRE(r.diags.items().size() == 2);
  for (const auto& d : r.diags.items()) CHECK(d.severity == Severity::warning);
  CHECK(r.diags.sorted()[0].message.find("GIT_BRANCH is set by the runner") != std::string::npos);
  CHECK(r.diags.sorted()[1].message.find("same name as tasks[0]") != std::string::npos);
}

TEST_CASE("every error of a file is reported in one run") {
  auto r = load_string("t.yml", R"(version: 1
workflows:
  - name: A
    trigger: {integration: github, repository: x, branch: main}
    tasks: [{type: build}]
  - name: b
    trigger: {integration: svn, repository: x, branch: main}
    tasks: [{type: script, command: x, timeout: soon}]
)");
  CHECK_FALSE(r.config.has_value());
  CHECK(r.diags.error_count() == 5);
}

TEST_CASE("a map at the top is required") {
  for (const char* text : {"- a\n- b\n", "just a string\n", "42\n"}) {
    auto r = load_string("t.yml", text);
    INFO(text);
    REQUIRE(r.diags.error_count() == 1);
    CHECK(r.diags.items()[0].message.starts_with("file: expected a map"));
  }
}

TEST_CASE("x- keys hold anchors and are otherwise ignored") {
  Config c = must_load(R"(version: 1
x-script: &s {type: script, command: make}
workflows:
  - name: t
    trigger: {integration: git, repository: "file:///srv/t.git", branch: main}
    tasks: [*s, *s]
)");
  CHECK(c.workflows[0].tasks.size() == 2);
}

TEST_CASE("duplicate keys are reported once each, in small and large maps") {
  for (int keys : {3, 40}) {
    std::string text = "version: 1\nworkflows:\n  - name: a\n    trigger: {integration: github, repository: a/b, branch: main}\n"
                       "    tasks:\n      - type: build\n";
    for (int i = 0; i < keys; ++i) text += "        app: w" + std::to_string(i) + "\n";
    auto r = load_string("t.yml", text);
    INFO(keys << " keys");
    REQUIRE(r.diags.error_count() == keys - 1);
    for (const auto& d : r.diags.items()) CHECK(d.message.ends_with("duplicate key 'app' (first defined at line 7)"));
    CHECK(r.diags.sorted().front().pos.line == 8);
  }
}

TEST_CASE("unnamed tasks of one type share a default name without a warning") {
  auto r = load_string("t.yml", R"(version: 1
workflows:
  - name: t
    trigger: {integration: git, repository: "file:///srv/t.git", branch: main}
    tasks: [{type: script, command: a}, {type: script, command: b}]
)");
  REQUIRE(r.config.has_value());
  CHECK(r.diags.items().empty());
}

namespace {

std::vector<std::string> messages(const std::string& tasks) {
  auto r = load_string("t.yml", "version: 1\nworkflows:\n  - name: w\n    trigger: {integration: git, repository: "
                                "\"file:///srv/t.git\", branch: main}\n    tasks:\n" + tasks);
  std::vector<std::string> out;
  for (const auto& d : r.diags.items()) out.push_back(format_diagnostic("t.yml", d));
  return out;
}

}  // namespace

TEST_CASE("a script task lists the secrets it takes from the runner's environment") {
  Config c = must_load("version: 1\nworkflows:\n  - name: w\n    trigger: {integration: git, repository: "
                       "\"file:///srv/t.git\", branch: main}\n    tasks:\n"
                       "      - {type: script, command: 'deploy \"$CONVOX_PASSWORD\"', secrets: [CONVOX_PASSWORD, NPM_TOKEN]}\n");
  CHECK(c.workflows[0].tasks[0].secrets == std::vector<std::string>{"CONVOX_PASSWORD", "NPM_TOKEN"});
  auto m = messages("      - type: script\n        command: echo\n        env: {A: b}\n"
                    "        secrets: [GITHUB_TOKEN, CONVOX_WORKFLOWS_API_TOKEN, GIT_BRANCH, A, 1X, OK_TOKEN, OK_TOKEN]\n");
  REQUIRE(m.size() == 6);
  CHECK(m[0] == "t.yml:9:19: error: workflow 'w': tasks[0] (script): secrets: GITHUB_TOKEN is the runner's own and "
                "reaches no task; give the task a secret of its own under another name");
  CHECK(m[1].find("t.yml:9:33: error: ") == 0);
  CHECK(m[1].find("CONVOX_WORKFLOWS_API_TOKEN is the runner's own") != std::string::npos);
  CHECK(m[2].find("secrets: GIT_BRANCH is set by the runner") != std::string::npos);
  CHECK(m[3].find("secrets: A is also set in env") != std::string::npos);
  CHECK(m[4].find("secrets: invalid name '1X'") != std::string::npos);
  CHECK(m[5].find("warning: workflow 'w': tasks[0] (script): secrets: OK_TOKEN is listed twice") != std::string::npos);
  // secrets: is for scripts: the convox CLI's tasks get their rack's credentials.
  auto b = messages("      - {type: build, app: web, secrets: [X_TOKEN]}\n");
  REQUIRE(b.size() == 1);
  CHECK(b[0].find("unknown key 'secrets'") != std::string::npos);
}

TEST_CASE("validate points at a command reading a secret the task doesn't list") {
  auto m = messages("      - {type: script, command: 'curl -u \"ci:${NPM_TOKEN}\" x; echo $HOME $GIT_BRANCH'}\n"
                    "      - {type: script, command: 'X_TOKEN=1; echo $X_TOKEN; for DB_PASSWORD in a; do :; done; "
                    "echo $DB_PASSWORD'}\n"
                    "      - {type: script, command: 'echo $CONVOX_PASSWORD $CONVOX_HOST', secrets: [CONVOX_PASSWORD]}\n"
                    "      - {type: script, command: 'echo $DEPLOY_KEY', env: {DEPLOY_KEY: public}}\n");
  REQUIRE(m.size() == 2);
  CHECK(m[0] == "t.yml:6:33: warning: workflow 'w': tasks[0] (script): command reads $NPM_TOKEN, which this task "
                "does not receive; list it in secrets: [NPM_TOKEN] to take it from the runner's environment");
  CHECK(m[1].find("t.yml:8:") == 0);
  CHECK(m[1].find("command reads $CONVOX_HOST") != std::string::npos);
}

TEST_CASE("public messages say where and what, never the file's text") {
  auto r = load_string("shadow", "root:$6$salt$hash:19000:0:99999:7:::\nbin:*:19000::\n");
  REQUIRE(r.diags.items().size() == 4);
  for (const auto& d : r.diags.items()) {
    std::string pub = format_diagnostic("shadow", d, true);
    INFO(pub);
    CHECK(pub.find("salt") == std::string::npos);
    CHECK(pub.find("bin:") == std::string::npos);
  }
  auto sorted = r.diags.sorted();
  CHECK(format_diagnostic("shadow", sorted[0], true) == "shadow:1:1: error: file: unknown key '…'");
  CHECK(format_diagnostic("shadow", sorted[0]) == "shadow:1:1: error: file: unknown key 'root:$6$salt$hash:19000:0:99999:7::'");
  // The author's form keeps the text, and our own words stay in both.
  auto t = load_string("t.yml", "version: 1\nworkflows:\n  - name: Bad_Name\n    trigger: {integration: gitt}\n"
                                "    tasks: [{type: script, command: x}]\n");
  std::vector<std::string> pub;
  for (const auto& d : t.diags.sorted()) pub.push_back(format_diagnostic("t.yml", d, true));
  REQUIRE(pub.size() >= 2);
  CHECK(pub[0] == "t.yml:3:11: error: workflow '…': invalid name '…': " + *workflow_name_error("Bad_Name") +
                      " (e.g. '…')");
  CHECK(pub.back().find("integration: unknown value '…' (expected one of: github, gitlab, git); did you mean 'git'?") !=
        std::string::npos);
  // Text of the file can't forge the marks.
  auto forged = load_string("t.yml", "\"a\\x02b\\x01c\": 1\n");
  CHECK(format_diagnostic("t.yml", forged.diags.sorted()[0], true) == "t.yml:1:1: error: file: unknown key '…'");
}

TEST_CASE("defaults.manifest applies to build tasks that set none") {
  Config c = must_load("version: 1\ndefaults: {manifest: convox.yml}\nworkflows:\n  - name: w\n"
                       "    trigger: {integration: git, repository: \"file:///srv/t.git\", branch: main}\n"
                       "    tasks:\n      - {type: build, app: a}\n      - {type: build, app: b, manifest: other.yml}\n");
  CHECK(c.workflows[0].tasks[0].manifest == "convox.yml");
  CHECK(c.workflows[0].tasks[1].manifest == "other.yml");
  CHECK(must_load(kSeed).workflows[0].tasks[0].manifest == "docker-compose.yml");
  auto bad = load_string("t.yml", "version: 1\ndefaults: {manifest: ../up.yml}\nworkflows: []\n");
  REQUIRE(bad.diags.items().size() == 1);
  CHECK(format_diagnostic("t.yml", bad.diags.items()[0]).find("t.yml:2:22: error: defaults: manifest: invalid path") == 0);
}

namespace {

const char* kCopies = R"(version: 1
defaults: {rack: acme/staging}
workflows:
  - name: deploy
    trigger: {integration: github, repository: acme/web, branch: main}
    tasks:
      - {type: build, app: web}
      - {type: build, app: api}
      - {type: copy, rack: acme/production}
      - {type: copy, from: {app: web}, app: web-eu, rack: acme/eu}
      - {type: copy, build: BFIXED, from: {app: web}, app: web-eu}
      - {type: promote, app: api, rack: acme/production}
      - {type: promote, app: web-eu, rack: acme/eu}
      - {type: promote, app: web-eu}
      - {type: run, app: web, rack: acme/production, service: web, command: x}
)";

}  // namespace

TEST_CASE("a copy: the nearest earlier build (of from.app), to its app unless it names another") {
  Config c = must_load(kCopies);
  const auto& t = c.workflows[0].tasks;
  CHECK(t[2].build_from_task == 1);  // the nearest build: api
  CHECK(t[2].from_app == "api");
  CHECK(t[2].from_rack == "acme/staging");
  CHECK(t[2].app == "api");
  CHECK(t[2].rack == "acme/production");
  CHECK(t[2].name == "copy api from acme/staging to acme/production");
  CHECK(t[3].build_from_task == 0);
  CHECK(t[3].name == "copy web on acme/staging to web-eu on acme/eu");
  CHECK_FALSE(t[4].build_from_task.has_value());
  CHECK(t[4].build == "BFIXED");
  CHECK(t[4].from_rack == "acme/staging");  // defaults.rack
  CHECK(t[4].name == "copy web to web-eu on acme/staging");
  // A promote takes the release made for its app on its rack.
  CHECK(t[5].release_from_task == 2);
  CHECK(t[6].release_from_task == 3);
  CHECK(t[7].release_from_task == 4);
  CHECK_FALSE(t[8].release_from_task.has_value());  // no web on production: its current release
}

TEST_CASE("a run of an app built on another rack runs that rack's current release: a warning says so") {
  auto r = load_string("t.yml", R"(version: 1
workflows:
  - name: deploy
    trigger: {integration: github, repository: acme/web, branch: main}
    tasks:
      - {type: build, app: web, rack: acme/staging}
      - {type: run, app: web, rack: acme/production, service: web, command: x}
)");
  REQUIRE(r.config.has_value());
  REQUIRE(r.diags.items().size() == 1);
  CHECK(format_diagnostic("t.yml", r.diags.items()[0]) ==
        "t.yml:7:9: warning: workflow 'deploy': tasks[1] (run): runs the current release of web on acme/production, not "
        "the one tasks[0] makes on acme/staging; set its rack to run that one");
}

TEST_CASE("pull_request triggers: defaults, settings, and what they exclude") {
  Config c = must_load(R"(version: 1
workflows:
  - name: review
    trigger: {integration: gitlab, repository: group/app, pull_request: }
    tasks: [{type: script, command: "true"}]
  - name: review-main
    trigger:
      integration: github
      repository: acme/web
      pull_request: {base: "release/*", forks: true, drafts: true}
    tasks: [{type: script, command: "true"}]
)");
  REQUIRE(c.workflows[0].trigger.pull_request);
  CHECK(c.workflows[0].trigger.pull_request->base == "*");
  CHECK_FALSE(c.workflows[0].trigger.pull_request->forks);
  CHECK_FALSE(c.workflows[0].trigger.pull_request->drafts);
  CHECK(c.workflows[0].trigger.branch.empty());
  CHECK(branch_label(c.workflows[0].trigger) == "pull requests");
  const auto& pr = *c.workflows[1].trigger.pull_request;
  CHECK((pr.base == "release/*" && pr.forks && pr.drafts));
  CHECK(branch_label(c.workflows[1].trigger) == "pull requests into release/*");

  auto errors = [](const std::string& trigger) {
    auto r = load_string("t.yml", "version: 1\nworkflows:\n  - name: w\n    trigger: " + trigger +
                                      "\n    tasks: [{type: script, command: \"true\"}]\n");
    std::vector<std::string> out;
    for (const auto& d : r.diags.items()) out.push_back(format_diagnostic("t.yml", d));
    return out;
  };
  CHECK(errors("{integration: github, repository: a/b, branch: main, pull_request: {}}") ==
        std::vector<std::string>{"t.yml:4:61: error: workflow 'w': trigger: branch and pull_request exclude each "
                                 "other: a workflow runs on pushes to a branch or on pull requests"});
  CHECK(errors("{integration: git, repository: \"file:///r\", pull_request: {}}") ==
        std::vector<std::string>{"t.yml:4:72: error: workflow 'w': trigger: pull_request needs integration github "
                                 "or gitlab: plain git has no pull requests"});
  CHECK(errors("{integration: github, repository: a/b, pull_request: {}, paths: [x]}")[0].find(
            "paths is not available with pull_request") != std::string::npos);
  CHECK(errors("{integration: github, repository: a/b, pull_request: {base: \"a..b\"}}")[0].find(
            "pull_request: invalid base branch 'a..b'") != std::string::npos);
  CHECK(errors("{integration: github, repository: a/b, pull_request: {fork: true}}")[0].find(
            "unknown key 'fork'") != std::string::npos);
  CHECK(errors("{integration: github, repository: a/b, pull_request: [main]}").size() == 1);
  CHECK(errors("{integration: github, repository: a/b}")[0].find("missing required key 'branch'") != std::string::npos);
}

TEST_CASE("review_app tasks: their fields, defaults, and one per pull request workflow") {
  Config c = must_load(R"(version: 1
defaults: {rack: acme/dev, manifest: convox.yml}
workflows:
  - name: review
    trigger: {integration: github, repository: acme/web, pull_request: {base: main}}
    tasks:
      - type: review_app
        app: web
        environment: {RAILS_ENV: review}
        before_promote: {service: web, command: bin/migrate}
        expire_after: 1d12h
)");
  const Task& t = c.workflows[0].tasks[0];
  CHECK(t.type == TaskType::review_app);
  CHECK(t.name == "review app web");
  CHECK(t.rack == "acme/dev");
  CHECK(t.manifest == "convox.yml");
  CHECK(t.env == std::map<std::string, std::string>{{"RAILS_ENV", "review"}});
  REQUIRE(t.before_promote);
  CHECK((t.before_promote->service == "web" && t.before_promote->command == "bin/migrate"));
  CHECK_FALSE(t.after_promote);
  CHECK(t.expire_after == Seconds{36 * 3600});
  CHECK(review_app_name(t.app, 42) == "web-pr-42");

  auto two = load_string("t.yml", R"(version: 1
workflows:
  - name: review
    trigger: {integration: github, repository: acme/web, pull_request: }
    tasks:
      - {type: review_app, app: web}
      - {type: review_app, app: api, name: api}
)");
  REQUIRE(two.diags.items().size() == 1);
  CHECK(format_diagnostic("t.yml", two.diags.items()[0]) ==
        "t.yml:7:9: error: workflow 'review': task 'api': one review_app per workflow (tasks has 'review app web' already)");
}

TEST_CASE("script tasks in container images: image, resources, defaults.image; refused where nothing runs images") {
  const char* text = R"(version: 1
defaults: {image: "node:20-bookworm"}
workflows:
  - name: ci
    trigger: {integration: git, repository: "file:///r.git", branch: main}
    tasks:
      - {type: script, command: "npm test"}
      - {type: script, command: "go test ./...", image: "golang:1.22", resources: {cpu: "500m", memory: 2Gi}}
      - {type: build, app: web}
)";
  Config c = must_load(text);
  const auto& tasks = c.workflows.at(0).tasks;
  CHECK(tasks[0].image == "node:20-bookworm");
  CHECK(tasks[1].image == "golang:1.22");
  CHECK(tasks[1].cpu == "500m");
  CHECK(tasks[1].memory == "2Gi");
  CHECK(tasks[2].image.empty());  // the convox CLI's tasks run beside the runner

  LoadOptions podman{nullptr, "podman"};
  CHECK(load_string("t.yml", text, podman).config);
  LoadOptions local{nullptr, "local"};
  auto refused = load_string("t.yml", text, local);
  CHECK_FALSE(refused.config);
  std::string all;
  for (const auto& d : refused.diags.items()) all += format_diagnostic("t.yml", d) + "\n";
  CHECK_THAT(all, Catch::Contains("t.yml:7:9: error: workflow 'ci': tasks[0] (script): image 'node:20-bookworm' needs a runner that runs images: --task-backend podman"));
  CHECK_THAT(all, Catch::Contains("tasks[1] (script): image 'golang:1.22' needs"));

  auto bad = load_string("t.yml", R"(version: 1
workflows:
  - name: ci
    trigger: {integration: git, repository: "file:///r.git", branch: main}
    tasks:
      - {type: script, command: "true", image: "--privileged"}
      - {type: script, command: "true", image: "a b"}
      - {type: script, command: "true", image: "ok:1", resources: {cpu: "lots", memory: "2GB", gpu: 1}}
      - {type: script, command: "true", resources: {cpu: "1"}}
)");
  CHECK_FALSE(bad.config);
  all.clear();
  for (const auto& d : bad.diags.items()) all += format_diagnostic("t.yml", d) + "\n";
  CHECK_THAT(all, Catch::Contains("t.yml:6:48: error: workflow 'ci': tasks[0] (script): image: '--privileged' is not an image reference"));
  CHECK_THAT(all, Catch::Contains("image: 'a b' is not an image reference"));
  CHECK_THAT(all, Catch::Contains("cpu: 'lots' is not a CPU amount"));
  CHECK_THAT(all, Catch::Contains("memory: '2GB' is not an amount of memory"));
  CHECK_THAT(all, Catch::Contains("unknown key 'gpu'"));
  CHECK_THAT(all, Catch::Contains("resources need an image"));
}
