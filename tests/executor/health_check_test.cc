// Promotions with a health check, against a real HTTP server on loopback.

#include <atomic>
#include <httplib.h>
#include <thread>

#include "executor/harness.hh"

using cwf::store::JobState;
using cwf::store::TaskState;

namespace {

// An app's health endpoint on 127.0.0.1:<ephemeral>, answering STATUS,
// stopped and joined when the scope ends.
class HealthServer {
 public:
  explicit HealthServer(int status) : status_(status) {
    server_.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
      ++hits_;
      res.status = status_.load();
      res.set_content("ok", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() before the accept loop runs would be lost: wait for it to start.
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~HealthServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/health"; }
  int hits() const { return hits_.load(); }
  void set_status(int s) { status_ = s; }

 private:
  httplib::Server server_;
  std::atomic<int> status_;
  std::atomic<int> hits_{0};
  int port_ = 0;
  std::thread thread_;
};

std::string promote_with_check(const std::string& url) {
  return "  - name: deploy\n    trigger: {integration: github, repository: acme/web, branch: main}\n"
         "    tasks:\n"
         "      - {type: build, app: web, promote: true, health_check: {url: \"" + url +
         "\", timeout: 3s, interval: 1s}}\n"
         "      - {type: script, command: \"echo next\"}\n";
}

}  // namespace

TEST_CASE("a healthy app: the promotion counts") {
  HealthServer app(200);
  cwf::test::Harness h;
  h.load(promote_with_check(app.url()));
  auto job = h.run();
  CHECK(job.state == JobState::succeeded);
  CHECK(app.hits() == 1);
  CHECK(h.log(job, 0).find("health check: HTTP 200: healthy") != std::string::npos);
}

TEST_CASE("an app that never gets healthy: the task fails and the next never runs") {
  HealthServer app(503);
  cwf::test::Harness h;
  h.load(promote_with_check(app.url()));
  auto job = h.run();
  CHECK(job.state == JobState::failed);
  CHECK(job.tasks[0].state == TaskState::failed);
  CHECK(job.tasks[0].reason == "health check failed: not healthy after 3s: last HTTP 503");
  CHECK(job.tasks[1].state == TaskState::skipped);
  CHECK(app.hits() >= 3);
  CHECK(job.tasks[0].release_id.starts_with("R"));  // the build's outputs are kept
}

TEST_CASE("an app that becomes healthy while polled passes") {
  HealthServer app(502);
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    app.set_status(204);
  });
  cwf::test::Harness h;
  h.load(promote_with_check(app.url()));
  auto job = h.run();
  later.join();
  CHECK(job.state == JobState::succeeded);
  std::string log = h.log(job, 0);
  CHECK(log.find("health check: HTTP 502") != std::string::npos);
  CHECK(log.find("health check: HTTP 204: healthy") != std::string::npos);
}

TEST_CASE("nothing listening: no answer, and the task fails") {
  int port;
  {
    HealthServer gone(200);
    port = std::stoi(gone.url().substr(17));
  }
  cwf::test::Harness h;
  h.load(promote_with_check("http://127.0.0.1:" + std::to_string(port) + "/health"));
  auto job = h.run();
  CHECK(job.tasks[0].state == TaskState::failed);
  CHECK(job.tasks[0].reason.find("no answer") != std::string::npos);
}
