#pragma once

// A server on an ephemeral loopback port, against a real job store and a
// stand-in runner: what the server's tests share.

#include <catch2/catch.hpp>
#include <httplib.h>

#include <memory>

#include "server/http_server.hh"
#include "test_support.hh"

namespace cwf::test {

struct FakeRunner : server::RunnerView {
  runner::ConfigStatus status;
  runner::ConfigPtr cfg = std::make_shared<config::Config>();
  std::vector<server::PushHint> pushes;
  runner::ConfigStatus config_status() const override { return status; }
  runner::ConfigPtr config() const override { return cfg; }
  std::vector<watcher::RemoteStatus> remotes() const override {
    watcher::RemoteStatus r;
    r.url = "file:///srv/acme/web.git";
    r.polls = 3;
    r.errors = 1;
    return {r};
  }
  std::string remote_of(const config::Trigger& t) const override { return "file:///srv/" + t.repository + ".git"; }
  std::size_t jobs_running() const override { return 1; }
  std::size_t jobs_queued() const override { return 2; }
  std::size_t jobs_waiting() const override { return 3; }
  std::vector<server::ForgeStats> forge_stats() const override {
    server::ForgeStats f;
    f.forge = "github";
    f.replies = {{"2xx", 5}, {"5xx", 2}};
    f.up = false;
    f.posted = 4;
    return {f};
  }
  std::vector<server::StatusHint> rechecks;
  int recheck_status(server::Forge, const server::StatusHint& hint) override {
    rechecks.push_back(hint);
    return hint.repository == "Codertocat/Hello-World" || hint.repository == "gitlab-org/gitlab-test" ? 1 : 0;
  }
  std::vector<std::string> actions;
  server::ActionResult trigger(const std::string& name, const std::string& branch, const std::string& commit) override {
    actions.push_back("trigger " + name + " " + branch + " " + commit);
    if (name != "w") return {404, "no workflow '" + name + "'", std::nullopt};
    store::JobRecord j;
    j.id = 7;
    j.workflow = name;
    return {201, "", j};
  }
  server::ActionResult cancel(std::int64_t job) override {
    actions.push_back("cancel " + std::to_string(job));
    return {409, "job has already ended", std::nullopt};
  }
  server::ActionResult rerun(std::int64_t job) override {
    actions.push_back("rerun " + std::to_string(job));
    return {201, "", std::nullopt};
  }
  server::ActionResult promote(std::int64_t job, int task) override {
    actions.push_back("promote " + std::to_string(job) + " " + std::to_string(task));
    return {201, "", std::nullopt};
  }
  int poll_for_push(server::Forge, const server::PushHint& hint) override {
    pushes.push_back(hint);
    return hint.repository == "Codertocat/Hello-World" ? 1 : 0;
  }
};

// A server on 127.0.0.1:<any>, stopped and joined when the scope ends.
struct Served {
  test::TempDir tmp;
  FakeRunner runner;
  std::unique_ptr<store::JobStore> store;
  std::unique_ptr<server::HttpServer> http;
  std::unique_ptr<httplib::Client> client;
  int port = 0;
  // DATA: an earlier server's store, to see what it kept.
  explicit Served(server::ServerOptions options = {}, const std::filesystem::path& data = {}) {
    auto s = store::JobStore::open(data.empty() ? tmp.path() : data);
    REQUIRE(s.ok());
    store = std::move(*s);
    options.host = "127.0.0.1";
    options.port = 0;
    http = std::make_unique<server::HttpServer>(options, runner, *store);
    auto started = http->start();
    REQUIRE(started.ok());
    port = *started;
    client = std::make_unique<httplib::Client>("127.0.0.1", port);
    client->set_read_timeout(10, 0);
  }
  ~Served() { http->stop(); }
  std::int64_t job(const std::string& workflow) {
    store::NewJob j;
    j.workflow = workflow;
    j.repository = "acme/web";
    j.branch = "main";
    j.commit_sha = std::string(40, 'a');
    j.trigger = "push";
    j.tasks = {{"t", "script"}};
    j.remote = "r";
    return store->create_job(j, store::now_ms());
  }
};

}  // namespace cwf::test
