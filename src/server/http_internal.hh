#pragma once

// What the server's route files share. Only src/server/*.cc include this.

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "server/http_head.hh"
#include "server/http_server.hh"

namespace cwf::server {

// cpp-httplib's server, with its request processing opened to the edge and a
// table of every route, so an unknown path is told from a wrong method.
struct HttpServer::Httplib : httplib::Server {
  using httplib::Server::process_request;
  std::vector<std::pair<std::string, std::regex>> routes;

  // cpp-httplib ends a chunked reply early while its own listening socket
  // is unset, and the edge listens instead: any other value means "serving".
  void set_serving(bool on) { svr_sock_ = on ? 0 : INVALID_SOCKET; }

  void route(const std::string& method, const std::string& pattern, Handler handler) {
    routes.emplace_back(method, std::regex(pattern));
    if (method == "GET") Get(pattern, std::move(handler));
    else Post(pattern, std::move(handler));
  }
  void route_with_reader(const std::string& pattern, HandlerWithContentReader handler) {
    routes.emplace_back("POST", std::regex(pattern));
    Post(pattern, std::move(handler));
  }
};

constexpr std::uint64_t kMaxWebhookBody = 10u << 20;
constexpr std::uint64_t kMaxApiBody = 64u << 10;

inline void json_reply(httplib::Response& res, int status, const nlohmann::ordered_json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", "application/json");
}

inline void error_reply(httplib::Response& res, int status, const std::string& message) {
  json_reply(res, status, {{"error", message}});
}

inline bool parse_int(const std::string& s, std::int64_t& out) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos) return false;
  out = std::stoll(s);
  return true;
}

}  // namespace cwf::server
