#pragma once

// The runner's HTTP server: the read API, actions, webhooks, the web UI,
// /healthz, /readyz and /metrics (docs/http-api.md). cpp-httplib parses and
// routes each request; the edge (edge.hh) owns the sockets in front of it.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/edge.hh"
#include "server/runner_view.hh"
#include "server/sessions.hh"
#include "server/web_ui.hh"
#include "store/job_store.hh"
#include "util/result.hh"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace cwf::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port
  // A second listener for /healthz and /readyz only, so probes never queue
  // behind the API; empty: none.
  std::string health_host;
  int health_port = -1;
  std::string github_secret, gitlab_secret;  // empty: that forge's webhook is refused
  std::string api_token;                     // empty: the mutating endpoints are refused (403)
  // Host header names served (port aside); empty: any. Loopback addresses always are.
  std::vector<std::string> allowed_hosts;
  std::string public_url;  // its host is also a same origin for the UI's forms; https: Secure cookies
  // --ui-auth required: every page and the read API need a session or the
  // API token (the probes, /metrics, webhooks and signing in aside).
  bool ui_auth_required = false;
  EdgeOptions edge;
};

// Start-up warnings about how the server is exposed (logged, and kept in the
// state file for `status`).
std::vector<std::string> exposure_warnings(const ServerOptions& options);

class HttpServer {
 public:
  HttpServer(ServerOptions options, RunnerView& runner, store::JobStore& store);
  ~HttpServer();  // stop()

  // Binds and starts serving; returns the main port (and sets health_port()).
  Result<int> start();
  void stop();
  int health_port() const { return health_port_; }
  EdgeStats edge_stats() const;

  struct Httplib;

 private:
  Dispatch classify(const RequestHead& head, int listener) const;
  bool serve(SocketStream& stream, const RequestHead& head, bool last);
  void guard_routes();
  void api_routes();
  void action_routes();
  void hook_routes();
  void ui_routes();
  void event_routes();
  // The web UI's viewer: signed in (a valid session cookie) or not.
  Viewer viewer(const httplib::Request& req) const;
  std::optional<Session> session_of(const httplib::Request& req) const;
  // The request's Origin (or Referer) is this host, or --public-url's.
  bool same_origin(const httplib::Request& req) const;
  // --ui-auth required: whether REQ may read PATH without signing in.
  bool open_path(const std::string& path) const;
  bool host_allowed(const std::string& host) const;
  // Answers 401/403 and returns false unless REQ carries the API token.
  bool authorized(const httplib::Request& req, httplib::Response& res) const;
  struct Delivery {
    int status = 500;
    std::string message;
    bool duplicate = false;
  };
  Delivery webhook(Forge forge, const std::string& delivery, const std::string& event, bool authentic,
                   const std::string& body);
  std::string metrics() const;
  void forge_metrics(std::string& out) const;
  void notify_metrics(std::string& out) const;
  void http_metrics(std::string& out) const;
  void count_delivery(Forge forge, const std::string& outcome);

  ServerOptions options_;
  RunnerView& runner_;
  store::JobStore& store_;
  std::unique_ptr<Httplib> http_;
  std::unique_ptr<Edge> edge_;
  int health_port_ = -1;
  SessionStore sessions_;
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::int64_t> deliveries_;  // (forge, outcome) -> count
};

// "host:port" (IPv6 in brackets); "off" is handled by the caller.
bool parse_listen(const std::string& text, std::string& host, int& port);

}  // namespace cwf::server
