#pragma once

// The runner's HTTP server (cpp-httplib): the read API, webhooks, /healthz,
// /readyz and /metrics. See docs/http-api.md.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "server/runner_view.hh"
#include "store/job_store.hh"
#include "util/result.hh"

namespace httplib {
class Server;
struct Request;
struct Response;
}

namespace cwf::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port
  std::string github_secret, gitlab_secret;  // empty: that forge's webhook is refused
  std::string api_token;                     // empty: the mutating endpoints are refused (403)
};

class HttpServer {
 public:
  HttpServer(ServerOptions options, RunnerView& runner, store::JobStore& store);
  ~HttpServer();  // stop()

  // Binds and starts serving; returns the port.
  Result<int> start();
  void stop();

 private:
  void routes();
  void action_routes();
  // Answers 401/403 and returns false unless REQ carries the API token.
  bool authorized(const httplib::Request& req, httplib::Response& res) const;
  void webhook(Forge forge, const std::string& delivery, const std::string& event, bool authentic,
               const std::string& body, int& status, std::string& reply);
  std::string metrics() const;
  void forge_metrics(std::string& out) const;
  void count_delivery(Forge forge, const std::string& outcome);

  ServerOptions options_;
  RunnerView& runner_;
  store::JobStore& store_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::int64_t> deliveries_;  // (forge, outcome) -> count
};

// "host:port" (IPv6 in brackets); "off" is handled by the caller.
bool parse_listen(const std::string& text, std::string& host, int& port);

}  // namespace cwf::server
