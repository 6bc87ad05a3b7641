#include "server/http_server.hh"

#include <algorithm>
#include <set>

#include "server/http_internal.hh"
#include "server/socket_stream.hh"
#include "util/log.hh"

namespace cwf::server {
namespace {

bool is_loopback_host(std::string_view host) {
  return host == "localhost" || host == "127.0.0.1" || host == "::1" || host == "[::1]";
}

// The Host header's name without its port.
std::string host_name(std::string_view host) {
  if (!host.empty() && host.front() == '[') return std::string(host.substr(0, host.find(']') + 1));
  return std::string(host.substr(0, host.rfind(':') == std::string_view::npos ? host.size() : host.rfind(':')));
}

bool is_follow(const RequestHead& head) {
  static const std::regex log_path(R"(/api/jobs/\d+/log)"), events_path(R"(/jobs/\d+/events)");
  if (head.method != "GET" && head.method != "HEAD") return false;
  if (std::regex_match(head.path, events_path)) return true;  // a job page's live stream
  if (!std::regex_match(head.path, log_path)) return false;
  auto q = parse_query(head.query);
  auto it = q.find("follow");
  return it != q.end() && it->second == "1";
}

}  // namespace

std::vector<std::string> exposure_warnings(const ServerOptions& o) {
  std::vector<std::string> out;
  bool loopback = is_loopback_host(o.host) || o.host.rfind("127.", 0) == 0;
  if (!loopback && o.api_token.empty())
    out.push_back("listening on " + o.host + " beyond loopback without an API token: anyone who reaches the port "
                  "reads every job and log (set --api-token-file)");
  if (!loopback && o.github_secret.empty() && o.gitlab_secret.empty())
    out.push_back("listening on " + o.host + " beyond loopback with no webhook secret: pushes are found only by "
                  "polling (set --github-webhook-secret-file or --gitlab-webhook-secret-file)");
  if (!loopback && o.allowed_hosts.empty())
    out.push_back("listening on " + o.host + " beyond loopback without --allowed-hosts: any Host header is served");
  return out;
}

HttpServer::HttpServer(ServerOptions options, RunnerView& runner, store::JobStore& store)
    : options_(std::move(options)), runner_(runner), store_(store), http_(std::make_unique<Httplib>()) {
  edge_ = std::make_unique<Edge>(
      options_.edge, [this](const RequestHead& h, int listener) { return classify(h, listener); },
      [this](SocketStream& s, const RequestHead& h, bool last) { return serve(s, h, last); });
  guard_routes();
  http_->route("GET", "/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  http_->route("GET", "/readyz", [this](const httplib::Request&, httplib::Response& res) {
    auto c = runner_.config_status();
    auto stalled = runner_.stalls();
    bool ready = !c.last_applied_revision.empty() && stalled.empty();
    json_reply(res, ready ? 200 : 503,
               {{"ready", ready},
                {"config_ready", c.ready},
                {"last_applied_revision", c.last_applied_revision},
                {"stalled", stalled}});
  });
  http_->route("GET", "/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics(), "text/plain; version=0.0.4");
  });
  api_routes();
  action_routes();
  hook_routes();
  ui_routes();
  event_routes();
}

HttpServer::~HttpServer() { stop(); }

Result<int> HttpServer::start() {
  auto port = edge_->listen(options_.host, options_.port);
  if (!port) return port;
  if (options_.health_port >= 0) {
    auto health = edge_->listen(options_.health_host, options_.health_port);
    if (!health) return make_error("--health-listen: " + health.error().message);
    health_port_ = *health;
  }
  http_->set_serving(true);
  edge_->start();
  return port;
}

void HttpServer::stop() {
  http_->set_serving(false);
  edge_->stop();
}

EdgeStats HttpServer::edge_stats() const { return edge_->stats(); }

bool HttpServer::host_allowed(const std::string& host) const {
  if (options_.allowed_hosts.empty()) return true;
  std::string name = host_name(host);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  if (is_loopback_host(name)) return true;
  for (const auto& allowed : options_.allowed_hosts) {
    if (allowed == name) return true;
    // "*.example.com": any name below example.com, not example.com itself.
    if (allowed.rfind("*.", 0) == 0 && name.size() > allowed.size() - 1 &&
        name.compare(name.size() - (allowed.size() - 1), allowed.size() - 1, allowed, 1) == 0)
      return true;
  }
  return false;
}

Dispatch HttpServer::classify(const RequestHead& head, int listener) const {
  Dispatch d;
  d.body_limit = kMaxApiBody;
  bool health = head.path == "/healthz" || head.path == "/readyz";
  if (listener != 0) {  // --health-listen serves probes only, whatever their Host
    if (!health) {
      d.refuse_status = 404;
      d.refuse_error = "only /healthz and /readyz are served on this port";
    }
    d.lane = Lane::health;
    return d;
  }
  if (!host_allowed(head.host)) {
    d.refuse_status = 421;
    d.refuse_error = "this runner does not serve the host '" + host_name(head.host).substr(0, 100) +
                     "' (--allowed-hosts)";
    return d;
  }
  if (health) d.lane = Lane::health;
  else if (head.path.rfind("/hooks/", 0) == 0) d.body_limit = kMaxWebhookBody;
  else if (is_follow(head)) d.lane = Lane::follow;
  return d;
}

bool HttpServer::serve(SocketStream& stream, const RequestHead& head, bool last) {
  bool closed = false;
  bool ok = http_->process_request(stream, last, closed, [&](httplib::Request& req) {
    // cpp-httplib splits a query's values at every '=': "?workflow=a=b" is "a=b".
    req.params.clear();
    for (auto& [k, v] : parse_query(head.query)) req.params.emplace(k, v);
  });
  return ok && !closed;
}

void HttpServer::guard_routes() {
  auto& s = *http_;
  // Before any body is read: a path no route has, or a method it doesn't take.
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    std::set<std::string> allowed;
    for (const auto& [method, pattern] : http_->routes)
      if (std::regex_match(req.path, pattern)) {
        allowed.insert(method);
        if (method == "GET") allowed.insert("HEAD");
      }
    if (allowed.count(req.method)) {
      if (!options_.ui_auth_required || req.method == "POST" || open_path(req.path)) return httplib::Server::HandlerResponse::Unhandled;
      // A page or the read API, signed in or with the API token only.
      if (session_of(req)) return httplib::Server::HandlerResponse::Unhandled;
      const std::string header = req.get_header_value("Authorization");
      if (header.rfind("Bearer ", 0) == 0 && gitlab_token_valid(options_.api_token, std::string_view(header).substr(7)))
        return httplib::Server::HandlerResponse::Unhandled;
      if (under_api(req.path)) {
        res.set_header("WWW-Authenticate", "Bearer");
        error_reply(res, 401, "this runner requires signing in (--ui-auth required): send Authorization: Bearer <token>");
      } else {
        res.set_redirect("/login?next=" + httplib::detail::encode_query_param(req.path), 303);
      }
      return httplib::Server::HandlerResponse::Handled;
    }
    if (allowed.empty()) {
      res.status = 404;
      if (under_api(req.path)) error_reply(res, 404, "no such endpoint: " + req.path.substr(0, 200));
      return httplib::Server::HandlerResponse::Handled;
    }
    std::string allow;
    for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
    res.set_header("Allow", allow);
    if (under_api(req.path)) error_reply(res, 405, req.method + " is not allowed here (allowed: " + allow + ")");
    else res.status = 405;
    return httplib::Server::HandlerResponse::Handled;
  });
  // Every 4xx or 5xx cpp-httplib makes itself (a bad request, a body past its
  // limit) gets a body: JSON under /api and /hooks.
  s.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
    auto* stream = SocketStream::current();
    if (stream && stream->body_over_limit()) {
      res.status = 413;
      res.body.clear();
    }
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string message = res.status == 413 ? "the body is larger than this endpoint's limit"
                          : res.status == 404 ? "not found"
                          : res.status == 405 ? "method not allowed"
                          : res.status == 414 ? "the request line is too long"
                          : res.status >= 500 ? "internal error"
                                              : "a malformed request";
    if (under_api(req.path)) error_reply(res, res.status, message);
    else res.set_content(message + "\n", "text/plain; charset=utf-8");
    return httplib::Server::HandlerResponse::Handled;
  }));
  s.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Content-Type-Options", "nosniff");
    if (res.get_header_value("Content-Type").rfind("text/html", 0) == 0) {
      // The pages' style and script are the runner's own files, never inline;
      // they fetch only from here; nothing may frame them.
      res.set_header("Content-Security-Policy",
                     "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self'; "
                     "form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
      res.set_header("X-Frame-Options", "DENY");
      res.set_header("Referrer-Policy", "same-origin");
    }
  });
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    log::error("http handler failed", {{"error", what}});
    error_reply(res, 500, "internal error");
  });
}

bool HttpServer::open_path(const std::string& path) const {
  return path == "/healthz" || path == "/readyz" || path == "/metrics" || path == "/login" ||
         path.rfind("/static/", 0) == 0 || path.rfind("/hooks/", 0) == 0;
}

bool HttpServer::authorized(const httplib::Request& req, httplib::Response& res) const {
  if (options_.api_token.empty()) {
    error_reply(res, 403, "this endpoint is disabled: the runner has no API token (--api-token-file)");
    return false;
  }
  const std::string header = req.get_header_value("Authorization");
  constexpr std::string_view bearer = "Bearer ";
  std::string_view given = header.rfind(bearer, 0) == 0 ? std::string_view(header).substr(bearer.size()) : "";
  if (!gitlab_token_valid(options_.api_token, given)) {  // the same constant-time comparison
    res.set_header("WWW-Authenticate", "Bearer");
    error_reply(res, 401, "a valid Authorization: Bearer <token> is required");
    return false;
  }
  return true;
}

bool parse_listen(const std::string& text, std::string& host, int& port) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::int64_t p = 0;
  if (!parse_int(text.substr(colon + 1), p) || p > 65535) return false;
  port = static_cast<int>(p);
  return true;
}

}  // namespace cwf::server
