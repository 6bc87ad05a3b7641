#include "server/http_server.hh"

#include <httplib.h>

#include <fstream>

#include "config/names.hh"
#include "server/api_json.hh"
#include "server/web_ui.hh"
#include "util/log.hh"

namespace cwf::server {
namespace {

constexpr std::size_t kMaxWebhookBody = 25u << 20;

void json_reply(httplib::Response& res, int status, const nlohmann::ordered_json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", "application/json");
}

void error_reply(httplib::Response& res, int status, const std::string& message) {
  json_reply(res, status, {{"error", message}});
}

bool parse_int(const std::string& s, std::int64_t& out) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos) return false;
  out = std::stoll(s);
  return true;
}

std::string label(std::string_view v) {  // Prometheus label value escaping
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

const char* forge_name(Forge f) { return f == Forge::github ? "github" : "gitlab"; }

void histogram(std::string& out, const char* name, const char* help, const char* key_label,
               const std::vector<store::DurationStats>& stats) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " histogram\n";
  for (const auto& s : stats) {
    std::string labels = std::string(key_label) + "=\"" + label(s.key) + "\",state=\"" + label(s.state) + "\"";
    for (std::size_t i = 0; i < s.at_most.size(); ++i) {
      char le[32];
      std::snprintf(le, sizeof le, "%g", static_cast<double>(store::kDurationBucketsMs[i]) / 1000.0);
      out += std::string(name) + "_bucket{" + labels + ",le=\"" + le + "\"} " + std::to_string(s.at_most[i]) + "\n";
    }
    out += std::string(name) + "_bucket{" + labels + ",le=\"+Inf\"} " + std::to_string(s.count) + "\n";
    char sum[32];
    std::snprintf(sum, sizeof sum, "%.3f", static_cast<double>(s.sum_ms) / 1000.0);
    out += std::string(name) + "_sum{" + labels + "} " + sum + "\n";
    out += std::string(name) + "_count{" + labels + "} " + std::to_string(s.count) + "\n";
  }
}

}  // namespace

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

HttpServer::HttpServer(ServerOptions options, RunnerView& runner, store::JobStore& store)
    : options_(std::move(options)), runner_(runner), store_(store), http_(std::make_unique<httplib::Server>()) {
  // Few threads: the API is for people and scrapers, and each thread costs RSS.
  http_->new_task_queue = [] { return new httplib::ThreadPool(4); };
  http_->set_payload_max_length(kMaxWebhookBody);
  http_->set_tcp_nodelay(true);  // else Nagle and delayed ACKs add 40 ms to every keep-alive reply
  http_->set_read_timeout(10, 0);
  http_->set_write_timeout(10, 0);
  routes();
}

HttpServer::~HttpServer() { stop(); }

Result<int> HttpServer::start() {
  int port = options_.port;
  if (port == 0) port = http_->bind_to_any_port(options_.host);
  else if (!http_->bind_to_port(options_.host, port)) port = -1;
  if (port <= 0)
    return make_error("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                      " (in use, or not an address of this machine)");
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  return port;
}

void HttpServer::stop() {
  if (!thread_.joinable()) return;
  http_->stop();
  thread_.join();
}

void HttpServer::count_delivery(Forge forge, const std::string& outcome) {
  std::lock_guard lock(mu_);
  deliveries_[{forge_name(forge), outcome}]++;
}

void HttpServer::webhook(Forge forge, const std::string& delivery, const std::string& event, bool authentic,
                         const std::string& body, int& status, std::string& reply) {
  auto done = [&](int code, const std::string& outcome, const std::string& message) {
    status = code;
    reply = message;
    count_delivery(forge, outcome);
    log::info("webhook delivery", {{"forge", forge_name(forge)}, {"delivery", delivery}, {"event", event},
                                   {"outcome", outcome}, {"status", std::to_string(code)}});
  };
  const std::string& secret = forge == Forge::github ? options_.github_secret : options_.gitlab_secret;
  if (secret.empty())
    return done(403, "disabled", std::string("webhooks from ") + forge_name(forge) + " are not configured (--" +
                                     forge_name(forge) + "-webhook-secret-file)");
  if (!authentic) return done(401, "unauthorized", "bad or missing signature");
  if (forge == Forge::github && event == "ping") return done(200, "ping", "pong");
  if (is_status_event(forge, event)) {
    auto hint = parse_status_event(forge, event, body);
    if (!hint) return done(400, "malformed", hint.error().message);
    int waiting = runner_.recheck_status(forge, *hint);
    if (waiting == 0)
      return done(202, "ignored", "no job waits on " + hint->repository + "@" + hint->sha.substr(0, 12));
    return done(202, "rechecked", "reading the status of " + hint->sha.substr(0, 12) + " again for " +
                                      std::to_string(waiting) + " waiting job(s)");
  }
  bool push = forge == Forge::github ? event == "push" : event == "Push Hook";
  if (!push) return done(202, "ignored", "event '" + event + "' ignored");
  auto hint = parse_push(forge, body);
  if (!hint) return done(400, "malformed", hint.error().message);
  if (hint->ref.rfind("refs/heads/", 0) != 0) return done(202, "ignored", "not a branch: " + hint->ref);
  int polled = runner_.poll_for_push(forge, *hint);
  if (polled == 0) return done(202, "ignored", "repository '" + hint->repository + "' is not watched");
  done(202, "polled", "listing " + std::to_string(polled) + " remote(s) now");
}

void HttpServer::routes() {
  auto& s = *http_;
  s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  s.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    auto c = runner_.config_status();
    bool loaded = !c.last_applied_revision.empty();
    json_reply(res, loaded ? 200 : 503,
               {{"ready", loaded}, {"config_ready", c.ready}, {"last_applied_revision", c.last_applied_revision}});
  });
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics(), "text/plain; version=0.0.4");
  });
  s.Get("/api/config", [this](const httplib::Request&, httplib::Response& res) {
    json_reply(res, 200, config_json(runner_.config_status()));
  });
  s.Get("/api/workflows", [this](const httplib::Request&, httplib::Response& res) {
    auto config = runner_.config();
    std::map<std::string, bool> healthy;
    for (const auto& r : runner_.remotes()) healthy[r.url] = r.polls > 0 && r.failures == 0;
    auto list = nlohmann::ordered_json::array();
    for (const auto& w : config->workflows) {
      store::JobFilter f;
      f.workflow = w.name;
      f.limit = 1;
      auto last = store_.list_jobs(f);
      auto it = healthy.find(runner_.remote_of(w.trigger));
      list.push_back(workflow_json(w, last.empty() ? nullptr : &last[0], it != healthy.end() && it->second));
    }
    json_reply(res, 200, {{"workflows", std::move(list)}});
  });
  s.Get("/api/jobs", [this](const httplib::Request& req, httplib::Response& res) {
    store::JobFilter f;
    f.limit = 50;
    std::int64_t n = 0;
    if (req.has_param("limit")) {
      if (!parse_int(req.get_param_value("limit"), n) || n < 1 || n > 1000)
        return error_reply(res, 400, "limit: a number from 1 to 1000");
      f.limit = static_cast<int>(n);
    }
    if (req.has_param("before")) {
      if (!parse_int(req.get_param_value("before"), n)) return error_reply(res, 400, "before: a job id");
      f.before_id = n;
    }
    if (req.has_param("state")) {
      f.state = store::parse_job_state(req.get_param_value("state"));
      if (!f.state) return error_reply(res, 400, "state: unknown '" + req.get_param_value("state") + "'");
    }
    if (req.has_param("workflow")) f.workflow = req.get_param_value("workflow");
    auto jobs = store_.list_jobs(f);
    auto list = nlohmann::ordered_json::array();
    for (const auto& j : jobs) list.push_back(job_json(j, false));
    nlohmann::ordered_json body = {{"jobs", std::move(list)}};
    body["next_before"] = static_cast<int>(jobs.size()) == f.limit ? nlohmann::ordered_json(jobs.back().id)
                                                                   : nlohmann::ordered_json();
    json_reply(res, 200, body);
  });
  s.Get(R"(/api/jobs/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
    std::int64_t id = 0;
    if (!parse_int(req.matches[1], id)) return error_reply(res, 404, "no such job");
    auto job = store_.get_job(id);
    if (!job) return error_reply(res, 404, "no job " + std::string(req.matches[1]));
    json_reply(res, 200, job_json(*job, true));
  });
  s.Get(R"(/api/jobs/(\d+)/log)", [this](const httplib::Request& req, httplib::Response& res) {
    std::int64_t id = 0;
    if (!parse_int(req.matches[1], id) || !store_.get_job(id)) return error_reply(res, 404, "no such job");
    bool follow = req.get_param_value("follow") == "1";
    auto offset = std::make_shared<std::uint64_t>(0);
    res.set_chunked_content_provider("text/plain; charset=utf-8", [this, id, follow, offset](std::size_t,
                                                                                              httplib::DataSink& sink) {
      // Tasks run in turn, so the job's file holds them in order; read on until the job has ended.
      for (;;) {
        auto job = store_.get_job(id);
        if (!job) break;
        bool final = store::is_final(job->state);
        std::filesystem::path file = store::log_file(*job, store_.data_dir());
        bool wrote = false;
        if (!file.empty()) {
          std::ifstream in(file, std::ios::binary);
          in.seekg(static_cast<std::streamoff>(*offset));
          char buf[65536];
          while (in.read(buf, sizeof buf) || in.gcount() > 0) {
            if (!sink.write(buf, static_cast<std::size_t>(in.gcount()))) return false;
            *offset += static_cast<std::uint64_t>(in.gcount());
            wrote = true;
          }
        }
        if (!follow || final) break;
        if (!wrote) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (!sink.is_writable()) return false;
      }
      sink.done();
      return true;
    });
  });
  auto hook = [this](Forge forge) {
    return [this, forge](const httplib::Request& req, httplib::Response& res) {
      bool github = forge == Forge::github;
      bool authentic = github ? github_signature_valid(options_.github_secret, req.body,
                                                       req.get_header_value("X-Hub-Signature-256"))
                              : gitlab_token_valid(options_.gitlab_secret, req.get_header_value("X-Gitlab-Token"));
      std::string delivery = req.get_header_value(github ? "X-GitHub-Delivery" : "X-Gitlab-Event-UUID");
      std::string event = req.get_header_value(github ? "X-GitHub-Event" : "X-Gitlab-Event");
      int status = 500;
      std::string message;
      // GitHub's other content type: the JSON as the form field `payload`
      // (the signature covers the raw body). cpp-httplib refuses such bodies
      // over 8 KB with 413 before this runs, hence docs/http-api.md asks for JSON.
      bool form = req.get_header_value("Content-Type") == "application/x-www-form-urlencoded";
      webhook(forge, delivery, event, authentic, form ? req.get_param_value("payload") : req.body, status, message);
      if (status >= 400) error_reply(res, status, message);
      else json_reply(res, status, {{"result", message}});
    };
  };
  s.Post("/hooks/github", hook(Forge::github));
  s.Post("/hooks/gitlab", hook(Forge::gitlab));
  s.Get("/", [this](const httplib::Request& req, httplib::Response& res) {
    store::JobFilter f;
    f.limit = 50;
    std::int64_t before = 0;
    if (req.has_param("before") && parse_int(req.get_param_value("before"), before)) f.before_id = before;
    auto jobs = store_.list_jobs(f);
    std::optional<std::int64_t> older;
    if (static_cast<int>(jobs.size()) == f.limit) older = jobs.back().id;
    res.set_content(render_index(runner_.config_status(), *runner_.config(), jobs, older), "text/html; charset=utf-8");
  });
  s.Get(R"(/jobs/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
    std::int64_t id = 0;
    auto job = parse_int(req.matches[1], id) ? store_.get_job(id) : std::nullopt;
    if (!job) {
      res.status = 404;
      res.set_content("<!doctype html><title>no such job</title><p>No such job. <a href=\"/\">All jobs</a></p>\n",
                      "text/html; charset=utf-8");
      return;
    }
    // A page, not an archive: at most the last MiB of the log.
    constexpr std::uint64_t kShown = 1u << 20;
    std::string log;
    std::uint64_t skipped = 0;
    if (auto file = store::log_file(*job, store_.data_dir()); !file.empty()) {
      std::ifstream in(file, std::ios::binary | std::ios::ate);
      auto size = static_cast<std::uint64_t>(std::max<std::streamoff>(0, in.tellg()));
      skipped = size > kShown ? size - kShown : 0;
      in.seekg(static_cast<std::streamoff>(skipped));
      log.assign(std::istreambuf_iterator<char>(in), {});
    }
    res.set_content(render_job(*job, log, skipped, !options_.api_token.empty()), "text/html; charset=utf-8");
  });
  // The web UI's buttons: the API's actions with the token as a form field, then back to a job's page.
  auto form_action = [this](std::function<ActionResult(std::int64_t, const httplib::Request&)> action) {
    return [this, action](const httplib::Request& req, httplib::Response& res) {
      std::int64_t id = 0;
      parse_int(req.matches[1], id);
      ActionResult r;
      if (options_.api_token.empty()) r = {403, "actions are disabled: the runner has no API token", std::nullopt};
      else if (!gitlab_token_valid(options_.api_token, req.get_param_value("token")))
        r = {401, "wrong API token", std::nullopt};
      else r = action(id, req);
      if (!r.error.empty()) {
        res.status = r.status;
        res.set_content(render_action_error(id, r.status, r.error), "text/html; charset=utf-8");
        return;
      }
      res.set_redirect("/jobs/" + std::to_string(r.job ? r.job->id : id), 303);
    };
  };
  s.Post(R"(/jobs/(\d+)/cancel)", form_action([this](std::int64_t id, const httplib::Request&) { return runner_.cancel(id); }));
  s.Post(R"(/jobs/(\d+)/rerun)", form_action([this](std::int64_t id, const httplib::Request&) { return runner_.rerun(id); }));
  s.Post(R"(/jobs/(\d+)/tasks/(\d+)/promote)", form_action([this](std::int64_t id, const httplib::Request& req) {
           std::int64_t task = 0;
           if (!parse_int(req.matches[2], task) || task > 10000) return ActionResult{404, "no such task", std::nullopt};
           return runner_.promote(id, static_cast<int>(task));
         }));
  action_routes();
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

void HttpServer::action_routes() {
  auto reply = [](httplib::Response& res, const ActionResult& r) {
    if (!r.error.empty()) return error_reply(res, r.status, r.error);
    json_reply(res, r.status, r.job ? job_json(*r.job, true) : nlohmann::ordered_json::object());
  };
  http_->Post(R"(/api/workflows/([^/]+)/trigger)", [this, reply](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    auto body = nlohmann::json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) return error_reply(res, 400, "the body is not a JSON object");
    std::string branch, commit;
    for (auto [key, out] : {std::pair{"branch", &branch}, std::pair{"commit", &commit}}) {
      if (!body.contains(key)) continue;
      if (!body[key].is_string()) return error_reply(res, 400, std::string(key) + ": a string");
      *out = body[key].get<std::string>();
    }
    for (const auto& [key, value] : body.items())
      if (key != "branch" && key != "commit") return error_reply(res, 400, "unknown key '" + key + "'");
    reply(res, runner_.trigger(req.matches[1], branch, commit));
  });
  auto by_id = [this, reply](ActionResult (RunnerView::*action)(std::int64_t)) {
    return [this, reply, action](const httplib::Request& req, httplib::Response& res) {
      if (!authorized(req, res)) return;
      std::int64_t id = 0;
      if (!parse_int(req.matches[1], id)) return error_reply(res, 404, "no such job");
      reply(res, (runner_.*action)(id));
    };
  };
  http_->Post(R"(/api/jobs/(\d+)/cancel)", by_id(&RunnerView::cancel));
  http_->Post(R"(/api/jobs/(\d+)/rerun)", by_id(&RunnerView::rerun));
  http_->Post(R"(/api/jobs/(\d+)/tasks/(\d+)/promote)", [this, reply](const httplib::Request& req,
                                                                       httplib::Response& res) {
    if (!authorized(req, res)) return;
    std::int64_t id = 0, task = 0;
    if (!parse_int(req.matches[1], id) || !parse_int(req.matches[2], task) || task > 10000)
      return error_reply(res, 404, "no such task");
    reply(res, runner_.promote(id, static_cast<int>(task)));
  });
}

void HttpServer::forge_metrics(std::string& out) const {
  auto forges = runner_.forge_stats();
  out += "# HELP convox_workflows_forge_up 1 when the forge's API answered its last request without a server error.\n"
         "# TYPE convox_workflows_forge_up gauge\n";
  for (const auto& f : forges)
    out += "convox_workflows_forge_up{forge=\"" + f.forge + "\"} " + (f.up ? "1" : "0") + "\n";
  out += "# HELP convox_workflows_forge_requests_total Requests to the forge's API, by forge and reply class.\n"
         "# TYPE convox_workflows_forge_requests_total counter\n";
  for (const auto& f : forges)
    for (const auto& [cls, n] : f.replies)
      out += "convox_workflows_forge_requests_total{forge=\"" + f.forge + "\",reply=\"" + cls + "\"} " +
             std::to_string(n) + "\n";
  out += "# HELP convox_workflows_status_posts_total Commit statuses posted, re-posted after a failure, or given up.\n"
         "# TYPE convox_workflows_status_posts_total counter\n";
  for (const auto& f : forges)
    for (auto [outcome, n] : {std::pair{"posted", f.posted}, {"retried", f.retried}, {"dropped", f.dropped}})
      out += "convox_workflows_status_posts_total{forge=\"" + f.forge + "\",outcome=\"" + outcome + "\"} " +
             std::to_string(n) + "\n";
}

std::string HttpServer::metrics() const {
  std::string out;
  auto c = runner_.config_status();
  out += "# HELP convox_workflows_config_ready 1 when the last revision of the workflows file was applied.\n"
         "# TYPE convox_workflows_config_ready gauge\nconvox_workflows_config_ready " +
         std::string(c.ready ? "1" : "0") + "\n";
  out += "# HELP convox_workflows_jobs_queued Jobs waiting to start.\n# TYPE convox_workflows_jobs_queued gauge\n"
         "convox_workflows_jobs_queued " + std::to_string(runner_.jobs_queued()) + "\n";
  out += "# HELP convox_workflows_jobs_waiting Jobs the commit-status gate holds.\n"
         "# TYPE convox_workflows_jobs_waiting gauge\nconvox_workflows_jobs_waiting " +
         std::to_string(runner_.jobs_waiting()) + "\n";
  forge_metrics(out);
  out += "# HELP convox_workflows_jobs_running Jobs running.\n# TYPE convox_workflows_jobs_running gauge\n"
         "convox_workflows_jobs_running " + std::to_string(runner_.jobs_running()) + "\n";
  auto jobs = store_.job_durations();
  out += "# HELP convox_workflows_jobs_total Jobs that ended, by workflow and final state.\n"
         "# TYPE convox_workflows_jobs_total counter\n";
  for (const auto& s : jobs)
    out += "convox_workflows_jobs_total{workflow=\"" + label(s.key) + "\",state=\"" + label(s.state) + "\"} " +
           std::to_string(s.count) + "\n";
  histogram(out, "convox_workflows_job_duration_seconds", "How long jobs ran, by workflow and final state.",
            "workflow", jobs);
  histogram(out, "convox_workflows_task_duration_seconds", "How long tasks ran, by type and final state.", "type",
            store_.task_durations());
  auto remotes = runner_.remotes();
  out += "# HELP convox_workflows_polls_total Listings of each remote.\n# TYPE convox_workflows_polls_total counter\n";
  for (const auto& r : remotes)
    out += "convox_workflows_polls_total{remote=\"" + label(config::redact_url(r.url)) + "\"} " +
           std::to_string(r.polls) + "\n";
  out += "# HELP convox_workflows_poll_errors_total Failed listings of each remote.\n"
         "# TYPE convox_workflows_poll_errors_total counter\n";
  for (const auto& r : remotes)
    out += "convox_workflows_poll_errors_total{remote=\"" + label(config::redact_url(r.url)) + "\"} " +
           std::to_string(r.errors) + "\n";
  out += "# HELP convox_workflows_webhook_deliveries_total Webhook deliveries, by forge and outcome.\n"
         "# TYPE convox_workflows_webhook_deliveries_total counter\n";
  std::lock_guard lock(mu_);
  for (const auto& [key, n] : deliveries_)
    out += "convox_workflows_webhook_deliveries_total{forge=\"" + key.first + "\",outcome=\"" + key.second + "\"} " +
           std::to_string(n) + "\n";
  return out;
}

}  // namespace cwf::server
