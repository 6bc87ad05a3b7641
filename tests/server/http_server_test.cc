// The HTTP server on an ephemeral loopback port, against a real job store and a stand-in runner.

#include <catch2/catch.hpp>
#include <httplib.h>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "config/loader.hh"
#include "server/http_server.hh"
#include "server/webhook.hh"
#include "test_support.hh"
#include "served.hh"

using namespace cwf;
using nlohmann::json;
using namespace cwf::test;

namespace {

json body_of(const httplib::Result& r) {
  REQUIRE(r);
  return json::parse(r->body);
}

const char* kSecret = "It's a Secret to Everybody";

std::string fixture(const std::string& name) {
  return test::read_file(test::source_dir() / "tests/fixtures/webhooks" / name);
}

httplib::Result github(Served& s, const std::string& event, const std::string& body, const std::string& signature) {
  static int deliveries = 0;  // each call a new delivery: a repeated id is a replay
  httplib::Headers h = {{"X-GitHub-Event", event}, {"X-GitHub-Delivery", "d-" + std::to_string(++deliveries)}};
  if (!signature.empty()) h.emplace("X-Hub-Signature-256", signature);
  return s.client->Post("/hooks/github", h, body, "application/json");
}

}  // namespace

TEST_CASE("health, readiness and the config") {
  Served s;
  auto h = s.client->Get("/healthz");
  REQUIRE(h);
  CHECK(h->status == 200);
  CHECK(s.client->Get("/readyz")->status == 503);
  s.runner.status.last_applied_revision = "abc";
  s.runner.status.ready = false;
  s.runner.status.errors = {"wf.yml:3:5: error: x"};
  CHECK(s.client->Get("/readyz")->status == 200);
  auto c = body_of(s.client->Get("/api/config"));
  CHECK(c["ready"] == false);
  CHECK(c["errors"][0] == "wf.yml:3:5: error: x");
  CHECK(c["last_applied_revision"] == "abc");
}

TEST_CASE("jobs: newest first, filtered, paged by cursor - bad parameters are 400") {
  Served s;
  for (int i = 0; i < 5; ++i) s.job(i % 2 ? "odd" : "even");
  auto all = body_of(s.client->Get("/api/jobs?limit=2"));
  REQUIRE(all["jobs"].size() == 2);
  CHECK(all["jobs"][0]["id"] == 5);
  CHECK(all["next_before"] == 4);
  auto next = body_of(s.client->Get("/api/jobs?limit=2&before=4"));
  CHECK(next["jobs"][0]["id"] == 3);
  auto odd = body_of(s.client->Get("/api/jobs?workflow=odd"));
  CHECK(odd["jobs"].size() == 2);
  CHECK(odd["next_before"].is_null());
  CHECK(body_of(s.client->Get("/api/jobs?state=queued"))["jobs"].size() == 5);
  for (const char* bad : {"/api/jobs?limit=0", "/api/jobs?limit=x", "/api/jobs?before=-1", "/api/jobs?state=nope"}) {
    auto r = s.client->Get(bad);
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(json::parse(r->body).contains("error"));
  }
}

TEST_CASE("a job with its tasks, and its log, followed while it runs") {
  Served s;
  auto id = s.job("w");
  auto j = body_of(s.client->Get("/api/jobs/" + std::to_string(id)));
  CHECK(j["workflow"] == "w");
  CHECK(j["tasks"][0]["state"] == "pending");
  CHECK(s.client->Get("/api/jobs/999")->status == 404);
  CHECK(s.client->Get("/api/jobs/999/log")->status == 404);

  std::filesystem::create_directories(s.tmp.path() / "logs");
  auto log = s.tmp.path() / "logs/1.log";
  std::ofstream(log) << "line one\n";
  s.store->set_job_state(id, store::JobState::running, "", store::now_ms());
  s.store->start_task(id, 0, "logs/1.log", 0, store::now_ms());
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    std::ofstream(log, std::ios::app) << "line two\n";
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    s.store->set_job_state(id, store::JobState::succeeded, "", store::now_ms());
  });
  auto followed = s.client->Get("/api/jobs/" + std::to_string(id) + "/log?follow=1");
  writer.join();
  REQUIRE(followed);
  CHECK(followed->status == 200);
  CHECK(followed->body == "line one\nline two\n");
  CHECK(s.client->Get("/api/jobs/" + std::to_string(id) + "/log")->body == "line one\nline two\n");
  std::filesystem::remove(log);
  auto gone = s.client->Get("/api/jobs/" + std::to_string(id) + "/log");
  REQUIRE(gone);
  CHECK(gone->status == 410);
  CHECK_THAT(json::parse(gone->body)["error"].get<std::string>(), Catch::Contains("is gone"));
}

TEST_CASE("workflows with their last job and whether they are watched") {
  Served s;
  auto r = config::load_string("t.yml", R"(version: 1
workflows:
  - name: w
    trigger: {integration: github, repository: acme/web, branch: main}
    tasks: [{type: build, app: web}]
)");
  REQUIRE(r.config);
  s.runner.cfg = std::make_shared<config::Config>(*r.config);
  s.job("w");
  auto w = body_of(s.client->Get("/api/workflows"))["workflows"][0];
  CHECK(w["name"] == "w");
  CHECK(w["trigger"]["repository"] == "acme/web");
  CHECK(w["concurrency"] == "queue");
  CHECK(w["watching"] == true);  // listed, and its last listing did not fail
  CHECK(w["last_job"]["id"] == 1);
}

TEST_CASE("GitHub webhooks: signature cases, ping, push, unknown repository, malformed, too big") {
  server::ServerOptions o;
  o.github_secret = kSecret;
  Served s(o);
  std::string push = fixture("github-webhooks/push_with-new-branch.payload.json");
  std::string good = "sha256=" + server::hmac_sha256_hex(kSecret, push);
  CHECK(github(s, "push", push, "")->status == 401);
  CHECK(github(s, "push", push, "sha256=" + server::hmac_sha256_hex("wrong", push))->status == 401);
  CHECK(github(s, "push", push, good.substr(0, 20))->status == 401);
  CHECK(github(s, "push", push, "sha1=" + server::hmac_sha256_hex(kSecret, push))->status == 401);
  CHECK(github(s, "push", push + " ", good)->status == 401);  // the body changed after signing
  CHECK(s.runner.pushes.empty());

  std::string ping = fixture("github-webhooks/ping_payload.json");
  CHECK(github(s, "ping", ping, "sha256=" + server::hmac_sha256_hex(kSecret, ping))->status == 200);
  auto polled = github(s, "push", push, good);
  REQUIRE(polled);
  CHECK(polled->status == 202);
  REQUIRE(s.runner.pushes.size() == 1);
  CHECK(s.runner.pushes[0].repository == "Codertocat/Hello-World");

  std::string tag = fixture("github-webhooks/push_payload.json");  // a deleted tag: never a branch
  CHECK(github(s, "push", tag, "sha256=" + server::hmac_sha256_hex(kSecret, tag))->status == 202);
  CHECK(s.runner.pushes.size() == 1);
  std::string status = fixture("github-webhooks/status_payload.json");
  CHECK(github(s, "status", status, "sha256=" + server::hmac_sha256_hex(kSecret, status))->status == 202);
  std::string bad = "{\"ref\": ";
  auto malformed = github(s, "push", bad, "sha256=" + server::hmac_sha256_hex(kSecret, bad));
  REQUIRE(malformed);
  CHECK(malformed->status == 400);
  std::string big(26u << 20, ' ');
  auto too_big = github(s, "push", big, "sha256=0");
  REQUIRE(too_big);
  CHECK(too_big->status == 413);

  auto m = s.client->Get("/metrics");
  REQUIRE(m);
  CHECK_THAT(m->body, Catch::Contains("convox_workflows_webhook_deliveries_total{forge=\"github\",outcome=\"unauthorized\"} 5"));
  CHECK_THAT(m->body, Catch::Contains("convox_workflows_webhook_deliveries_total{forge=\"github\",outcome=\"polled\"} 1"));
  CHECK_THAT(m->body, Catch::Contains("convox_workflows_poll_errors_total{remote=\"file:///srv/acme/web.git\"} 1"));
  CHECK_THAT(m->body, Catch::Contains("convox_workflows_jobs_queued 2"));
}

TEST_CASE("GitHub's form-encoded deliveries carry the JSON in `payload`") {
  server::ServerOptions o;
  o.github_secret = kSecret;
  Served s(o);
  std::string body = "payload=" + httplib::detail::encode_query_param(
                                      R"({"ref":"refs/heads/main","repository":{"full_name":"Codertocat/Hello-World"}})");
  auto r = s.client->Post("/hooks/github",
                          {{"X-GitHub-Event", "push"}, {"X-Hub-Signature-256", "sha256=" + server::hmac_sha256_hex(kSecret, body)}},
                          body, "application/x-www-form-urlencoded");
  REQUIRE(r);
  CHECK(r->status == 202);
  REQUIRE(s.runner.pushes.size() == 1);
  CHECK(s.runner.pushes[0].repository == "Codertocat/Hello-World");
}

TEST_CASE("GitLab webhooks: the token, the push hook - no secret configured: refused") {
  server::ServerOptions o;
  o.gitlab_secret = "gl-token";
  Served s(o);
  std::string push = fixture("gitlab-webhooks/push_hook.json");
  auto post = [&](const std::string& token, const std::string& event) {
    return s.client->Post("/hooks/gitlab", {{"X-Gitlab-Token", token}, {"X-Gitlab-Event", event}}, push,
                          "application/json");
  };
  CHECK(post("nope", "Push Hook")->status == 401);
  auto ok = post("gl-token", "Push Hook");
  REQUIRE(ok);
  CHECK(ok->status == 202);
  CHECK_THAT(ok->body, Catch::Contains("not watched"));
  REQUIRE(s.runner.pushes.size() == 1);
  CHECK(s.runner.pushes[0].repository == "mike/diaspora");
  CHECK(github(s, "push", "{}", "sha256=x")->status == 403);  // GitHub's secret is not configured
}

TEST_CASE("actions need the bearer token - without one configured they are disabled") {
  Served off;
  auto r = off.client->Post("/api/workflows/w/trigger", "{\"branch\": \"main\"}", "application/json");
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK(off.runner.actions.empty());

  server::ServerOptions o;
  o.api_token = "t0ken";
  Served s(o);
  auto post = [&](const std::string& path, const std::string& body, const std::string& token) {
    httplib::Headers h;
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    return s.client->Post(path.c_str(), h, body, "application/json");
  };
  CHECK(post("/api/workflows/w/trigger", "{\"branch\": \"main\"}", "")->status == 401);
  CHECK(post("/api/workflows/w/trigger", "{\"branch\": \"main\"}", "t0ke")->status == 401);
  CHECK(s.runner.actions.empty());
  auto made = post("/api/workflows/w/trigger", "{\"branch\": \"main\"}", "t0ken");
  REQUIRE(made);
  CHECK(made->status == 201);
  CHECK(json::parse(made->body)["id"] == 7);
  CHECK(post("/api/workflows/nope/trigger", "{\"commit\": \"abc\"}", "t0ken")->status == 404);
  CHECK(post("/api/workflows/w/trigger", "{\"branch\": 1}", "t0ken")->status == 400);
  CHECK(post("/api/workflows/w/trigger", "{\"brnach\": \"x\"}", "t0ken")->status == 400);
  CHECK(post("/api/workflows/w/trigger", "not json", "t0ken")->status == 400);
  auto ended = post("/api/jobs/3/cancel", "", "t0ken");
  REQUIRE(ended);
  CHECK(ended->status == 409);
  CHECK(json::parse(ended->body)["error"] == "job has already ended");
  CHECK(post("/api/jobs/3/rerun", "", "t0ken")->status == 201);
  CHECK(post("/api/jobs/3/tasks/1/promote", "", "t0ken")->status == 201);
  CHECK(post("/api/jobs/3/tasks/1/promote", "", "")->status == 401);
  CHECK(s.runner.actions ==
        std::vector<std::string>{"trigger w main ", "trigger nope  abc", "cancel 3", "rerun 3", "promote 3 1"});
}

TEST_CASE("metrics: job counts and duration histograms from the store") {
  Served s;
  auto id = s.job("deploy");
  s.store->set_job_state(id, store::JobState::running, "", 1000);
  s.store->set_job_state(id, store::JobState::failed, "x", 4000);
  auto m = s.client->Get("/metrics");
  REQUIRE(m);
  CHECK_THAT(m->body, Catch::Contains("convox_workflows_jobs_total{workflow=\"deploy\",state=\"failed\"} 1"));
  CHECK_THAT(m->body, Catch::Contains(
      "convox_workflows_job_duration_seconds_bucket{workflow=\"deploy\",state=\"failed\",le=\"1\"} 0"));
  CHECK_THAT(m->body, Catch::Contains(
      "convox_workflows_job_duration_seconds_bucket{workflow=\"deploy\",state=\"failed\",le=\"5\"} 1"));
  CHECK_THAT(m->body, Catch::Contains("convox_workflows_job_duration_seconds_sum{workflow=\"deploy\",state=\"failed\"} 3.000"));
  CHECK_THAT(m->body, Catch::Contains("convox_workflows_config_ready 0"));
}

TEST_CASE("status webhooks: GitHub's status and check_run, GitLab's pipeline - each rechecks the commit") {
  server::ServerOptions o;
  o.github_secret = kSecret;
  o.gitlab_secret = "gl-token";
  Served s(o);
  auto signed_github = [&](const std::string& event, const std::string& body) {
    return github(s, event, body, "sha256=" + server::hmac_sha256_hex(kSecret, body));
  };
  auto status = signed_github("status", fixture("github-webhooks/status_payload.json"));
  REQUIRE(status);
  CHECK(status->status == 202);
  CHECK_THAT(status->body, Catch::Contains("again for 1 waiting job"));
  auto check = signed_github("check_run", fixture("github-webhooks/check_run_completed.payload.json"));
  REQUIRE(check);
  CHECK(check->status == 202);
  auto pipeline = s.client->Post("/hooks/gitlab", {{"X-Gitlab-Token", "gl-token"}, {"X-Gitlab-Event", "Pipeline Hook"}},
                                 fixture("gitlab-webhooks/pipeline_hook.json"), "application/json");
  REQUIRE(pipeline);
  CHECK(pipeline->status == 202);
  REQUIRE(s.runner.rechecks.size() == 3);
  CHECK(s.runner.rechecks[0].repository == "Codertocat/Hello-World");
  CHECK(s.runner.rechecks[0].sha == "6113728f27ae82c7b1a177c8d03f9e96e0adf246");
  CHECK(s.runner.rechecks[1].sha == "ec26c3e57ca3a959ca5aad62de7213c562f8c821");
  CHECK(s.runner.rechecks[2].repository == "gitlab-org/gitlab-test");
  CHECK(s.runner.rechecks[2].sha == "bcbb5ec396a2c0f828686f14fac9b80b780504f2");

  // Unsigned: refused before anything is read; no commit SHA: malformed.
  CHECK(github(s, "status", fixture("github-webhooks/status_payload.json"), "")->status == 401);
  auto bad = signed_github("status", R"({"sha": "nope", "repository": {"full_name": "a/b"}})");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK_THAT(bad->body, Catch::Contains("no commit SHA at sha"));
  auto unknown = signed_github("status", R"({"sha": "6113728f27ae82c7b1a177c8d03f9e96e0adf246", "repository": {"full_name": "a/b"}})");
  REQUIRE(unknown);
  CHECK(unknown->status == 202);
  CHECK_THAT(unknown->body, Catch::Contains("no job waits on a/b@6113728f27ae"));
  CHECK(s.runner.rechecks.size() == 4);

  auto m = s.client->Get("/metrics");
  REQUIRE(m);
  CHECK_THAT(m->body, Catch::Contains("convox_workflows_webhook_deliveries_total{forge=\"github\",outcome=\"rechecked\"} 2"));
  CHECK_THAT(m->body, Catch::Contains("convox_workflows_webhook_deliveries_total{forge=\"gitlab\",outcome=\"rechecked\"} 1"));
  CHECK_THAT(m->body, Catch::Contains("convox_workflows_jobs_waiting 3"));
  CHECK_THAT(m->body, Catch::Contains("convox_workflows_forge_up{forge=\"github\"} 0"));
  CHECK_THAT(m->body, Catch::Contains("convox_workflows_forge_requests_total{forge=\"github\",reply=\"5xx\"} 2"));
  CHECK_THAT(m->body, Catch::Contains("convox_workflows_status_posts_total{forge=\"github\",outcome=\"posted\"} 4"));
}
