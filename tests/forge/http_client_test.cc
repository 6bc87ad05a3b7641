// The forges' HTTP client against the stand-in forge on loopback: headers,
// retries on 5xx and 429 (Retry-After), rate limits, timeouts, pagination and
// the bound on connections.

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "forge/fake_forge.hh"
#include "forge/forge.hh"
#include "forge/http_client.hh"
#include "test_support.hh"

using namespace cwf;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kSha(40, 'c');

forge::HttpOptions quick() {
  forge::HttpOptions o;
  o.timeout = std::chrono::milliseconds(500);
  o.first_backoff = std::chrono::milliseconds(10);
  o.retry_budget = std::chrono::milliseconds(3000);
  return o;
}

}  // namespace

TEST_CASE("requests carry the token, a User-Agent and GitHub's API version - the token is nowhere else") {
  test::FakeForge f;
  auto gh = forge::make_github(f.url(), "ghp_secret", quick());
  auto read = gh->read("acme/web", kSha);
  CHECK(read.ok());
  auto seen = f.seen();
  REQUIRE(seen.size() == 2);
  for (const auto& s : seen) {
    CHECK(s.header("Authorization") == "Bearer ghp_secret");
    CHECK(s.header("User-Agent").rfind("convox-workflows/", 0) == 0);
    CHECK(s.header("X-GitHub-Api-Version") == "2022-11-28");
    CHECK(s.target.find("ghp_secret") == std::string::npos);
  }
  CHECK(seen[0].target == "/repos/acme/web/commits/" + kSha + "/status?per_page=100");
  CHECK(seen[1].target == "/repos/acme/web/commits/" + kSha + "/check-runs?per_page=100");

  auto gl = forge::make_gitlab(f.url() + "/api/v4", "glpat-secret", quick());
  f.forget();
  f.trouble(1, {401, {}});
  auto denied = gl->read("group/sub/app", kSha);
  CHECK_FALSE(denied.ok());
  CHECK(denied.error == "GitLab commit statuses: HTTP 401: stand-in trouble 401");
  CHECK(denied.error.find("glpat") == std::string::npos);
  auto s = f.seen().at(0);
  CHECK(s.target == "/api/v4/projects/group%2Fsub%2Fapp/repository/commits/" + kSha + "/statuses?all=true&per_page=100");
  CHECK(s.header("PRIVATE-TOKEN") == "glpat-secret");
}

TEST_CASE("5xx and 429 are retried with backoff, honouring Retry-After - a 4xx is not") {
  test::FakeForge f;
  forge::ForgeHttp http(f.url(), {}, quick());
  f.trouble(2, {502, {}});
  auto r = http.get("/repos/a/b/commits/" + kSha + "/status");
  CHECK(r.ok());
  CHECK(f.seen().size() == 3);

  f.forget();
  f.trouble(1, {429, {{"Retry-After", "1"}}});
  auto start = Clock::now();
  CHECK(http.get("/repos/a/b/commits/" + kSha + "/status").ok());
  CHECK(Clock::now() - start >= std::chrono::milliseconds(1000));
  CHECK(f.seen().size() == 2);

  f.forget();
  f.trouble(1, {404, {}});
  auto missing = http.get("/repos/a/b/commits/" + kSha + "/status");
  CHECK(missing.status == 404);
  CHECK_FALSE(missing.transient());
  CHECK(f.seen().size() == 1);

  // Past the budget, the caller gets the failure and the wait the forge asked for.
  f.forget();
  f.trouble(1, {503, {{"Retry-After", "120"}}});
  auto later = http.get("/repos/a/b/commits/" + kSha + "/status");
  CHECK(later.status == 503);
  CHECK(later.transient());
  CHECK(later.retry_after == std::chrono::seconds(120));
  CHECK(f.seen().size() == 1);
  CHECK(http.counts().at("5xx") == 3);
}

TEST_CASE("GitHub's x-ratelimit-remaining: 0 holds further requests until x-ratelimit-reset") {
  test::FakeForge f;
  forge::ForgeHttp http(f.url(), {}, quick());
  auto reset = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()) +
               std::chrono::seconds(60);
  f.trouble(1, {403, {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", std::to_string(reset.count())}}});
  auto r = http.get("/repos/a/b/commits/" + kSha + "/status");
  CHECK(r.status == 403);
  CHECK(r.transient());
  CHECK(r.retry_after >= std::chrono::seconds(58));
  auto held = http.get("/repos/a/b/commits/" + kSha + "/check-runs");
  CHECK(held.status == 0);
  CHECK_THAT(held.error, Catch::Contains("rate limit"));
  CHECK(f.seen().size() == 1);  // the second never left
  CHECK(http.counts().at("limited") == 1);
}

TEST_CASE("a forge that never answers fails within the timeout") {
  test::FakeForge f;
  auto o = quick();
  o.attempts = 1;
  forge::ForgeHttp http(f.url(), {}, o);
  f.trouble(1, {0, {}});
  auto start = Clock::now();
  auto r = http.get("/repos/a/b/commits/" + kSha + "/status");
  auto took = Clock::now() - start;
  CHECK(r.status == 0);
  CHECK_THAT(r.error, Catch::StartsWith("no answer from " + f.url()));
  CHECK(r.transient());
  CHECK(took < std::chrono::seconds(3));
  CHECK(http.last_outcome() == "none");
}

TEST_CASE("pages are followed: GitHub's Link header, GitLab's X-Next-Page") {
  test::FakeForge f;
  json runs = json::array(), statuses = json::array();
  for (int i = 0; i < 250; ++i) {
    runs.push_back({{"name", "check " + std::to_string(i)}, {"status", "completed"}, {"conclusion", i == 249 ? "failure" : "success"}});
    statuses.push_back({{"id", i + 1}, {"name", "job " + std::to_string(i)}, {"status", i == 0 ? "running" : "success"}});
  }
  f.github("acme/web", kSha, json::array(), runs);
  f.gitlab("group/app", kSha, statuses);
  auto gh = forge::make_github(f.url(), "", quick());
  auto read = gh->read("acme/web", kSha);
  REQUIRE(read.ok());
  CHECK(read.contexts.seen == 250);
  CHECK(read.contexts.failing == std::vector<std::string>{"check 249 (failure)"});
  auto gl = forge::make_gitlab(f.url(), "", quick());
  auto g = gl->read("group/app", kSha);
  REQUIRE(g.ok());
  CHECK(g.contexts.seen == 250);
  CHECK(g.contexts.pending == std::vector<std::string>{"job 0 (running)"});
}

TEST_CASE("1,000 status posts from 8 threads go over at most the pool's 2 connections") {
  test::FakeForge f;
  auto gh = forge::make_github(f.url(), "t", quick());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 125; ++i) {
        forge::StatusPost p;
        p.context = "convox-workflows/w";
        p.description = "x";
        if (gh->post("acme/web", kSha, p).ok()) ++ok;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(ok == 1000);
  CHECK(f.posts().size() == 1000);
  CHECK(f.connections() <= 2);
}

TEST_CASE("HTTPS: the forge's certificate is verified against the system's trust store (SSL_CERT_FILE here)") {
  test::TempDir tmp;
  test::sh(tmp.path(), "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
                       "-addext subjectAltName=IP:127.0.0.1 -keyout key.pem -out cert.pem");
  httplib::SSLServer server((tmp.path() / "cert.pem").c_str(), (tmp.path() / "key.pem").c_str());
  server.Get(R"(/repos/a/b/commits/([0-9a-f]{40})/status)", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"state": "success", "statuses": [{"context": "ci", "state": "success"}]})", "application/json");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread serve([&] { server.listen_after_bind(); });
  struct Stop {
    httplib::SSLServer& s;
    std::thread& t;
    ~Stop() {
      s.stop();
      t.join();
      ::unsetenv("SSL_CERT_FILE");
    }
  } stop{server, serve};
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto o = quick();
  o.attempts = 1;
  const std::string base = "https://127.0.0.1:" + std::to_string(port);
  {
    forge::ForgeHttp untrusted(base, {}, o);
    auto r = untrusted.get("/repos/a/b/commits/" + kSha + "/status");
    CHECK(r.status == 0);
    CHECK_THAT(r.error, Catch::Contains("SSL"));
  }
  ::setenv("SSL_CERT_FILE", (tmp.path() / "cert.pem").c_str(), 1);
  forge::ForgeHttp trusted(base, {}, o);
  auto r = trusted.get("/repos/a/b/commits/" + kSha + "/status");
  CHECK(r.status == 200);
  CHECK_THAT(r.body, Catch::Contains("success"));
}

TEST_CASE("abort cuts a request the forge never answers, and fails the next at once") {
  test::FakeForge f;
  auto o = quick();
  o.timeout = std::chrono::seconds(20);
  forge::ForgeHttp http(f.url(), {}, o);
  f.trouble(1, {0, {}});
  auto start = Clock::now();
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    http.abort();
  });
  auto r = http.get("/repos/a/b/commits/" + kSha + "/status");
  stopper.join();
  CHECK(r.status == 0);
  CHECK(Clock::now() - start < std::chrono::seconds(3));
  auto next = http.get("/repos/a/b/commits/" + kSha + "/status");
  CHECK(next.error == "not sent: the runner is stopping");
}
