#pragma once

// A real git repository, job store and executor in a temp dir, with the
// stand-in convox CLI: what every executor test starts from.

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "config/loader.hh"
#include "config/racks.hh"
#include "executor/executor.hh"
#include "git/workspace.hh"
#include "store/job_store.hh"
#include "test_support.hh"

extern char** environ;

namespace cwf::test {

struct Harness {
  TempDir tmp;
  std::filesystem::path repo = tmp.path() / "repo";
  std::filesystem::path data = tmp.path() / "data";
  std::filesystem::path calls = tmp.path() / "convox-calls";
  std::unique_ptr<store::JobStore> store;
  std::optional<config::Config> config;
  std::vector<std::string> extra_env;   // the runner's environment, besides its own
  std::vector<std::string> convox_env;  // the stand-in's FAKE_CONVOX_* knobs
  executor::ExecutorOptions options;
  executor::LocalLauncher launcher;
  std::string branch = "main";
  std::optional<int> pull_request;  // a pull request's job (review apps)
  std::string remote;

  Harness() {
    std::filesystem::create_directories(repo);
    sh(repo, "git init -q -b main . && git config user.email t@example.com && git config user.name t && "
             "echo app > Dockerfile && mkdir -p sub && echo x > sub/file && ln -s /tmp escape && "
             "git add -A && git commit -qm init");
    auto opened = store::JobStore::open(data);
    REQUIRE(opened.ok());
    store = std::move(*opened);
    options.grace = std::chrono::milliseconds(500);
    options.convox_bin = (tmp.path() / "convox").string();  // written by run()
  }

  // WORKFLOWS: the list under "workflows:", indented by two spaces.
  void load(const std::string& workflows) {
    auto r = config::load_string("t.yml", "version: 1\nworkflows:\n" + workflows);
    for (const auto& d : r.diags.items()) INFO(config::format_diagnostic("t.yml", d));
    REQUIRE(r.config.has_value());
    config = std::move(r.config);
  }

  // Runs the first workflow on the repository's HEAD (or WORKFLOW).
  store::JobRecord run(const executor::CancelToken* cancel = nullptr, const config::Workflow* workflow = nullptr) {
    REQUIRE((config.has_value() || workflow));
    options.base_env.clear();
    for (char** e = environ; *e; ++e) options.base_env.emplace_back(*e);
    for (const auto& e : extra_env) options.base_env.push_back(e);
    // The stand-in's knobs travel in a wrapper: tasks get no FAKE_CONVOX_* of the runner's.
    std::string wrapper = "#!/bin/sh\nexport FAKE_CONVOX_CALLS='" + calls.string() + "'\n";
    for (const auto& e : convox_env) wrapper += "export '" + e + "'\n";
    write_file(tmp.path() / "convox", wrapper + "exec '" + stand_in().string() + "' \"$@\"\n");
    std::filesystem::permissions(tmp.path() / "convox", std::filesystem::perms::owner_all);
    executor::Executor exec(*store, launcher, options);
    auto commit = git::resolve_commit(repo.string(), "HEAD");
    REQUIRE(commit.ok());
    const config::Workflow& wf = workflow ? *workflow : config->workflows.at(0);
    executor::JobSpec spec{&wf, wf.trigger.repository, branch, commit->sha, pull_request ? "pull_request" : "exec",
                           remote, pull_request, false};
    std::int64_t id = exec.create(spec);
    auto workspace = tmp.path() / ("ws-" + std::to_string(id));
    REQUIRE(git::checkout_workspace(repo.string(), commit->sha, workspace).ok());
    executor::CancelToken never;
    exec.run(id, spec, workspace, cancel ? *cancel : never);
    auto job = store->get_job(id);
    REQUIRE(job.has_value());
    return *job;
  }

  // Task TASK's part of the job's log.
  std::string log(const store::JobRecord& job, int task) const {
    const auto& t = job.tasks.at(static_cast<std::size_t>(task));
    std::string all = read_file(data / t.log_path);
    REQUIRE(static_cast<std::size_t>(t.log_offset + t.log_bytes) <= all.size());
    return all.substr(static_cast<std::size_t>(t.log_offset), static_cast<std::size_t>(t.log_bytes));
  }
  std::string convox_calls() const { return read_file(calls); }

  // The stand-in then keeps its racks' apps, builds and releases, and acts
  // as a rack does: an app must exist, a release must be the app's own.
  std::filesystem::path racks_state = tmp.path() / "racks-state";
  void keep_rack_state() { convox_env.push_back("FAKE_CONVOX_STATE=" + racks_state.string()); }
  static std::filesystem::path stand_in() { return source_dir() / "scripts/convox-stand-in"; }
  // RACK: a rack's name, or its host when the task gets RACK_URL.
  void create_app(const std::string& app, const std::string& rack) {
    sh(tmp.path(), "FAKE_CONVOX_STATE='" + racks_state.string() + "' '" + stand_in().string() + "' apps create '" +
                       app + "' --rack '" + rack + "' 2>/dev/null");
  }
  // What the app runs on RACK now ("" before any promotion).
  std::string current_release(const std::string& app, std::string rack) const {
    for (auto& c : rack)
      if (c == '/') c = '%';
    auto path = racks_state / rack / app / "release";
    if (!std::filesystem::exists(path)) return "";
    std::string r = read_file(path);
    while (!r.empty() && r.back() == '\n') r.pop_back();
    return r;
  }
};

// A racks file of two racks, acme/staging and acme/production, reached at
// rack.staging.example and rack.production.example.
inline std::shared_ptr<const config::Racks> two_racks() {
  auto r = config::load_racks(config::source_from_string(
      "racks.yml", "racks:\n  acme/staging: {url: \"https://convox:stag1ng-pw@rack.staging.example\"}\n"
                   "  acme/production: {url: \"https://convox:pr0d-pw@rack.production.example\"}\n"));
  REQUIRE(r.racks.has_value());
  return std::make_shared<const config::Racks>(*r.racks);
}

inline std::string script_workflow(const std::string& tasks) {
  return "  - name: t\n    trigger: {integration: git, repository: \"file:///srv/t.git\", branch: main}\n"
         "    tasks:\n" + tasks;
}

}  // namespace cwf::test
