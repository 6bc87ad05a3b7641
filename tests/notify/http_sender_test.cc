// The real Sender against servers on 127.0.0.1: no redirect followed, a
// reply's size capped, a receiver that never answers cut at the deadline.
#include <catch2/catch.hpp>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "notify/sender.hh"

using namespace std::chrono_literals;

namespace {

struct Served {
  httplib::Server server;
  int port = 0;
  std::thread thread;
  Served() {
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
  }
  ~Served() {
    server.stop();
    thread.join();
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port) + path; }
};

// A socket that accepts (the kernel does) and never answers.
struct Silent {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int port = 0;
  Silent() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 8) == 0);
    socklen_t n = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
    port = ntohs(a.sin_port);
  }
  ~Silent() { ::close(fd); }
};

}  // namespace

TEST_CASE("the HTTP sender posts JSON, follows no redirect and reads at most 64 KiB of a reply", "[notify]") {
  Served s;
  std::string got_type, got_body, got_event;
  s.server.Post("/ok", [&](const httplib::Request& req, httplib::Response& res) {
    got_type = req.get_header_value("Content-Type");
    got_event = req.get_header_value("X-Convox-Workflows-Event");
    got_body = req.body;
    res.set_content("accepted", "text/plain");
  });
  s.server.Post("/moved", [](const httplib::Request&, httplib::Response& res) {
    res.status = 301;
    res.set_header("Location", "http://127.0.0.1:1/elsewhere");
  });
  s.server.Post("/big", [](const httplib::Request&, httplib::Response& res) {
    res.status = 500;
    res.set_content(std::string(8 << 20, 'e'), "text/plain");
  });
  s.server.Post("/busy", [](const httplib::Request&, httplib::Response& res) {
    res.status = 429;
    res.set_header("Retry-After", "30");
  });
  auto sender = cwf::notify::make_http_sender(5s);
  auto r = sender->post(s.url("/ok"), R"({"event":"failed"})", {{"X-Convox-Workflows-Event", "failed"}}, 10s);
  CHECK(r.ok());
  CHECK(got_type == "application/json");
  CHECK(got_event == "failed");
  CHECK(got_body == R"({"event":"failed"})");
  r = sender->post(s.url("/moved"), "{}", {}, 10s);
  CHECK(r.status == 301);
  CHECK(r.error == "HTTP 301");
  r = sender->post(s.url("/big"), "{}", {}, 10s);
  CHECK(r.status == 500);
  CHECK(r.error == "HTTP 500: " + std::string(200, 'e'));
  r = sender->post(s.url("/busy"), "{}", {}, 10s);
  CHECK(r.status == 429);
  CHECK(r.retry_after == 30s);
}

TEST_CASE("the HTTP sender gives up on a silent receiver at the deadline, and says why without the URL", "[notify]") {
  Silent silent;
  auto sender = cwf::notify::make_http_sender(10s);
  std::string url = "http://127.0.0.1:" + std::to_string(silent.port) + "/services/T0/B0/secret-token";
  auto started = std::chrono::steady_clock::now();
  auto r = sender->post(url, "{}", {}, 1s);
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(r.status == 0);
  CHECK(took < 5s);
  CHECK(r.error == "no answer: cut at the delivery's deadline (the receiver is too slow)");
  int closed_port = silent.port;
  {
    Silent gone;  // a port with nobody listening after it closes
    closed_port = gone.port;
  }
  r = sender->post("http://127.0.0.1:" + std::to_string(closed_port) + "/secret-token", "{}", {}, 5s);
  CHECK(r.status == 0);
  CHECK(r.error == "no answer: cannot connect (refused or unreachable)");
  r = sender->post("http://127.0.0.1:1/a\r\nX-Injected: 1", "{}", {}, 5s);
  CHECK(r.error == "not sent: the URL holds a space or a control character");
  r = sender->post("ftp://127.0.0.1/secret-token", "{}", {}, 5s);
  CHECK(r.error == "not sent: the URL is not an http:// or https:// URL");
  CHECK(r.error.find("secret-token") == std::string::npos);
  sender->abort();
  r = sender->post(url, "{}", {}, 1s);
  CHECK(r.error == "not sent: the runner is stopping");
}
