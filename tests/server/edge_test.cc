// The connection layer under hostile clients: real sockets on 127.0.0.1
// against the whole server, each case bounded in time and count.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "server/webhook.hh"
#include "served.hh"

using namespace cwf;
using namespace cwf::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// A socket written and read by hand, closed when it goes.
struct Raw {
  int fd = -1;
  explicit Raw(int port) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  }
  ~Raw() { ::close(fd); }
  bool send(const std::string& s) { return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size()); }
  // What arrives within WAIT, until the peer closes (or a whole reply has come, when ONE_REPLY).
  std::string read(std::chrono::milliseconds wait, bool one_reply = false) {
    std::string out;
    auto until = std::chrono::steady_clock::now() + wait;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[4096];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
      if (one_reply) {
        auto end = out.find("\r\n\r\n");
        auto cl = out.find("Content-Length: ");
        if (end != std::string::npos && cl != std::string::npos &&
            out.size() >= end + 4 + std::stoul(out.substr(cl + 16)))
          break;
      }
    }
    return out;
  }
};

int status_of(const std::string& reply) {
  return reply.size() > 12 && reply.rfind("HTTP/1.1 ", 0) == 0 ? std::stoi(reply.substr(9, 3)) : 0;
}

json json_of(const std::string& reply) { return json::parse(reply.substr(reply.find("\r\n\r\n") + 4)); }

server::ServerOptions quick() {
  server::ServerOptions o;
  o.edge.idle_timeout = 300ms;
  o.edge.head_timeout = 500ms;
  o.edge.thread_idle_exit = 200ms;
  o.edge.http_threads = 2;
  return o;
}

int port_of(Served& s) { return s.port; }

std::size_t count_dir(const char* dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

TEST_CASE("slow and idle clients hold no thread: /healthz and the API answer past 60 of them") {
  Served s(quick());
  std::vector<std::unique_ptr<Raw>> slow;
  for (int i = 0; i < 60; ++i) {
    slow.push_back(std::make_unique<Raw>(port_of(s)));
    slow.back()->send(i % 2 ? "GET / HTTP/1.1\r\nHo" : "");  // half mid-head, half silent
  }
  for (int i = 0; i < 5; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto h = s.client->Get("/healthz");
    REQUIRE(h);
    CHECK(h->status == 200);
    CHECK(s.client->Get("/api/jobs")->status == 200);
    CHECK(std::chrono::steady_clock::now() - t0 < 1s);  // (the bench measures the latency: ~2 ms)
  }
  // Past the head's deadline a slow sender is told 408; a silent one is closed.
  auto told = slow[1]->read(2s);
  CHECK(status_of(told) == 408);
  CHECK(slow[0]->read(2s).empty());
}

TEST_CASE("a slowloris that keeps sending a byte at a time is cut at the head's deadline") {
  Served s(quick());
  Raw r(port_of(s));
  std::string head = "GET /api/jobs HTTP/1.1\r\nHost: a\r\nX-Padding: ";
  auto t0 = std::chrono::steady_clock::now();
  bool open = true;
  for (char c : head + std::string(40, 'x')) {
    if (!r.send(std::string(1, c))) {
      open = false;
      break;
    }
    pollfd p{r.fd, POLLIN, 0};
    if (::poll(&p, 1, 50) > 0) break;  // the server spoke: 408
  }
  auto reply = r.read(2s);
  CHECK((status_of(reply) == 408 || !open));
  CHECK(std::chrono::steady_clock::now() - t0 < 3s);
}

TEST_CASE("a head that arrives a byte at a time, within its deadline, is served") {
  Served s(quick());
  Raw r(port_of(s));
  for (char c : std::string("\r\nGET /api/jobs?limit=1 HTTP/1.1\r\nHost: a\r\nX-Pad: 1\r\n\r\n")) {
    REQUIRE(r.send(std::string(1, c)));
    std::this_thread::sleep_for(2ms);
  }
  auto reply = r.read(2s, true);
  CHECK(status_of(reply) == 200);
  CHECK(json_of(reply).contains("jobs"));
}

TEST_CASE("a request whose client then shuts its sending side is still answered") {
  Served s(quick());
  Raw r(port_of(s));
  r.send("GET /api/jobs HTTP/1.1\r\nHost: a\r\n\r\n");
  ::shutdown(r.fd, SHUT_WR);
  auto reply = r.read(2s);
  CHECK(status_of(reply) == 200);
  CHECK(reply.find("\"jobs\"") != std::string::npos);
}

TEST_CASE("errors under /api and /hooks are JSON: 404, 405, 411, 413, 414, 431, 400") {
  server::ServerOptions o = quick();
  o.github_secret = "s";
  Served s(o);
  auto ask = [&](const std::string& request) {
    Raw r(port_of(s));
    r.send(request);
    return r.read(3s, true);
  };
  auto not_found = ask("GET /api/nothing HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK(status_of(not_found) == 404);
  CHECK(json_of(not_found)["error"].get<std::string>().find("no such endpoint") != std::string::npos);
  auto wrong = ask("DELETE /api/jobs HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK(status_of(wrong) == 405);
  CHECK(wrong.find("Allow: GET, HEAD") != std::string::npos);
  CHECK(json_of(wrong).contains("error"));
  CHECK(status_of(ask("POST /api/jobs/1/cancel HTTP/1.1\r\nHost: a\r\n\r\n")) == 411);
  auto big = ask("POST /hooks/github HTTP/1.1\r\nHost: a\r\nContent-Length: 999999999\r\n\r\n");
  CHECK(status_of(big) == 413);
  CHECK(json_of(big).contains("error"));
  auto long_line = ask("GET /api/jobs?" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK(status_of(long_line) == 414);
  CHECK(json_of(long_line).contains("error"));
  std::string many = "GET /api/jobs HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 150; ++i) many += "X-" + std::to_string(i) + ": y\r\n";
  auto headers = ask(many + "\r\n");
  CHECK(status_of(headers) == 431);
  CHECK(json_of(headers).contains("error"));
  auto bad = ask("GET /api/jobs HTTP/1.1\r\n\r\n");
  CHECK(status_of(bad) == 400);
  CHECK(json_of(bad).contains("error"));
  auto page = ask("GET /nothing HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK(status_of(page) == 404);
  CHECK(page.find("X-Content-Type-Options: nosniff") != std::string::npos);
}

TEST_CASE("a chunked body past the limit is refused while it is read") {
  server::ServerOptions o = quick();
  o.github_secret = "s";
  Served s(o);
  Raw r(port_of(s));
  r.send("POST /hooks/github HTTP/1.1\r\nHost: a\r\nX-GitHub-Event: push\r\nTransfer-Encoding: chunked\r\n\r\n");
  std::string chunk = "100000\r\n" + std::string(0x100000, 'x') + "\r\n";  // 1 MiB
  std::string reply;
  int sent = 0;
  for (; sent < 64; ++sent) {  // 64 MiB offered, 10 MiB allowed
    if (!r.send(chunk)) break;
    pollfd p{r.fd, POLLIN, 0};
    if (::poll(&p, 1, 0) > 0) break;
  }
  reply = r.read(3s, true);
  CHECK(status_of(reply) == 413);
  CHECK(json_of(reply)["error"].get<std::string>().find("10 MiB") != std::string::npos);
  CHECK(sent < 40);  // refused long before the end (the rest fills socket buffers)
}

TEST_CASE("a replayed delivery is answered as a duplicate and does nothing, across restarts") {
  server::ServerOptions o = quick();
  o.github_secret = "s";
  TempDir data;
  std::string push = read_file(source_dir() / "tests/fixtures/webhooks/github-webhooks/push_with-new-branch.payload.json");
  httplib::Headers h = {{"X-GitHub-Event", "push"},
                        {"X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"},
                        {"X-Hub-Signature-256", "sha256=" + server::hmac_sha256_hex("s", push)}};
  {
    Served s(o, data.path());
    CHECK(s.client->Post("/hooks/github", h, push, "application/json")->status == 202);
    auto again = s.client->Post("/hooks/github", h, push, "application/json");
    REQUIRE(again);
    CHECK(again->status == 200);
    CHECK(json::parse(again->body)["duplicate"] == true);
    CHECK(s.runner.pushes.size() == 1);
    // A forged delivery with the id of a real one to come doesn't spend it.
    httplib::Headers forged = {{"X-GitHub-Event", "push"}, {"X-GitHub-Delivery", "future-1"},
                               {"X-Hub-Signature-256", "sha256=00"}};
    CHECK(s.client->Post("/hooks/github", forged, push, "application/json")->status == 401);
    forged.erase("X-Hub-Signature-256");
    forged.emplace("X-Hub-Signature-256", "sha256=" + server::hmac_sha256_hex("s", push));
    CHECK(s.client->Post("/hooks/github", forged, push, "application/json")->status == 202);
    httplib::Headers odd = {{"X-GitHub-Event", "push"}, {"X-GitHub-Delivery", "a b/../c"}};
    CHECK(s.client->Post("/hooks/github", odd, push, "application/json")->status == 400);
  }
  Served restarted(o, data.path());
  auto replay = restarted.client->Post("/hooks/github", h, push, "application/json");
  REQUIRE(replay);
  CHECK(replay->status == 200);
  CHECK(restarted.runner.pushes.empty());
}

TEST_CASE("follow streams are capped per client and in total: 429 with Retry-After") {
  server::ServerOptions o = quick();
  o.edge.max_follow_per_client = 2;
  Served s(o);
  auto id = s.job("w");
  s.store->set_job_state(id, store::JobState::running, "", store::now_ms());
  std::string follow = "GET /api/jobs/" + std::to_string(id) + "/log?follow=1 HTTP/1.1\r\nHost: a\r\n\r\n";
  Raw a(port_of(s)), b(port_of(s));
  a.send(follow);
  b.send(follow);
  CHECK(status_of(a.read(300ms)) == 200);
  CHECK(status_of(b.read(300ms)) == 200);
  Raw c(port_of(s));  // (an idle connection would be closed in 300 ms)
  c.send(follow);
  auto refused = c.read(2s, true);
  CHECK(status_of(refused) == 429);
  CHECK(refused.find("Retry-After: 5") != std::string::npos);
  CHECK(json_of(refused).contains("error"));
  // The API isn't among them.
  CHECK(s.client->Get("/api/jobs")->status == 200);
  ::shutdown(a.fd, SHUT_RDWR);  // a reader leaves: its slot frees
  bool freed = false;
  for (int i = 0; i < 40 && !freed; ++i) {
    std::this_thread::sleep_for(50ms);
    freed = s.http->edge_stats().follow_streams == 1;
  }
  CHECK(freed);
  s.store->set_job_state(id, store::JobState::succeeded, "", store::now_ms());
}

TEST_CASE("a follow stream ends at its maximum duration, and resumes at its offset") {
  server::ServerOptions o = quick();
  o.edge.follow_max = 300ms;
  Served s(o);
  auto id = s.job("w");
  std::filesystem::create_directories(s.tmp.path() / "logs");
  std::ofstream(s.tmp.path() / "logs/1.log") << "0123456789";
  s.store->set_job_state(id, store::JobState::running, "", store::now_ms());
  s.store->start_task(id, 0, "logs/1.log", 0, store::now_ms());
  auto t0 = std::chrono::steady_clock::now();
  auto first = s.client->Get("/api/jobs/" + std::to_string(id) + "/log?follow=1");
  REQUIRE(first);
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  CHECK(first->get_header_value("X-Log-Offset") == "0");
  CHECK(first->body == "0123456789");
  auto rest = s.client->Get("/api/jobs/" + std::to_string(id) + "/log?offset=4");
  REQUIRE(rest);
  CHECK(rest->get_header_value("X-Log-Offset") == "4");
  CHECK(rest->body == "456789");
  s.store->set_job_state(id, store::JobState::succeeded, "", store::now_ms());
}

TEST_CASE("the connection cap refuses the rest at once, and the health listener stays apart") {
  server::ServerOptions o = quick();
  o.edge.max_connections = 8;
  o.edge.idle_timeout = 5s;
  o.health_host = "127.0.0.1";
  o.health_port = 0;
  Served s(o);
  std::vector<std::unique_ptr<Raw>> held;
  for (int i = 0; i < 8; ++i) held.push_back(std::make_unique<Raw>(port_of(s)));
  std::this_thread::sleep_for(100ms);
  Raw extra(port_of(s));
  auto refused = extra.read(2s);
  CHECK(status_of(refused) == 503);
  CHECK(refused.find("Retry-After") != std::string::npos);
  httplib::Client health("127.0.0.1", s.http->health_port());
  auto h = health.Get("/healthz");
  REQUIRE(h);
  CHECK(h->status == 200);
  CHECK(health.Get("/api/jobs")->status == 404);  // probes only
  held.clear();
}

TEST_CASE("query values keep '=', HTML has its security headers, --allowed-hosts holds") {
  server::ServerOptions o = quick();
  o.allowed_hosts = {"ci.example.com", "*.runners.example.com"};
  Served s(o);
  s.job("x=all");
  s.job("x");
  auto only = s.client->Get("/api/jobs?workflow=x%3Dall");
  auto raw = s.client->Get("/api/jobs?workflow=x=all");
  REQUIRE(only);
  REQUIRE(raw);
  CHECK(json::parse(only->body)["jobs"].size() == 1);
  CHECK(json::parse(raw->body)["jobs"].size() == 1);
  CHECK(json::parse(raw->body)["jobs"][0]["workflow"] == "x=all");
  CHECK(raw->get_header_value("X-Content-Type-Options") == "nosniff");
  auto page = s.client->Get("/");
  REQUIRE(page);
  CHECK(page->get_header_value("Content-Security-Policy").find("frame-ancestors 'none'") != std::string::npos);
  CHECK(page->get_header_value("Referrer-Policy") == "same-origin");
  CHECK(page->get_header_value("X-Content-Type-Options") == "nosniff");
  auto host = [&](const std::string& name) {
    Raw r(port_of(s));
    r.send("GET /api/jobs HTTP/1.1\r\nHost: " + name + "\r\n\r\n");
    return status_of(r.read(2s, true));
  };
  CHECK(host("ci.example.com") == 200);
  CHECK(host("CI.example.com:8080") == 200);
  CHECK(host("a.runners.example.com") == 200);
  CHECK(host("runners.example.com") == 421);
  CHECK(host("evil.example") == 421);
  CHECK(host("127.0.0.1:1234") == 200);
}

TEST_CASE("after a burst every worker thread and descriptor is released") {
  std::size_t threads0 = count_dir("/proc/self/task"), fds0 = count_dir("/proc/self/fd");
  {
    Served s(quick());
    std::size_t served_threads = count_dir("/proc/self/task");
    std::vector<std::thread> clients;
    for (int i = 0; i < 8; ++i)
      clients.emplace_back([&] {
        httplib::Client c("127.0.0.1", port_of(s));
        for (int j = 0; j < 20; ++j) c.Get("/api/jobs");
      });
    for (auto& t : clients) t.join();
    bool back = false;
    for (int i = 0; i < 60 && !back; ++i) {
      std::this_thread::sleep_for(50ms);
      back = count_dir("/proc/self/task") <= served_threads && s.http->edge_stats().open <= 1;
    }
    CHECK(back);
  }
  CHECK(count_dir("/proc/self/task") <= threads0);
  CHECK(count_dir("/proc/self/fd") <= fds0);
}
