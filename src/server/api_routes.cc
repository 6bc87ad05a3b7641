// The read API and its actions (docs/http-api.md).
#include <filesystem>
#include <fstream>
#include <thread>

#include "server/api_json.hh"
#include "server/http_internal.hh"

namespace cwf::server {
namespace {

// ?limit= (1 to 1000, default 50) and ?before= (a cursor: an id); false
// with a 400 sent when either is bad.
bool page_params(const httplib::Request& req, httplib::Response& res, const char* id, int& limit,
                 std::optional<std::int64_t>& before) {
  std::int64_t n = 0;
  limit = 50;
  if (req.has_param("limit")) {
    if (!parse_int(req.get_param_value("limit"), n) || n < 1 || n > 1000) {
      error_reply(res, 400, "limit: a number from 1 to 1000");
      return false;
    }
    limit = static_cast<int>(n);
  }
  if (req.has_param("before")) {
    if (!parse_int(req.get_param_value("before"), n)) {
      error_reply(res, 400, std::string("before: ") + id);
      return false;
    }
    before = n;
  }
  return true;
}

}  // namespace

void HttpServer::api_routes() {
  auto& s = *http_;
  s.route("GET", "/api/config", [this](const httplib::Request&, httplib::Response& res) {
    json_reply(res, 200, config_json(runner_.config_status()));
  });
  s.route("GET", "/api/workflows", [this](const httplib::Request&, httplib::Response& res) {
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
  s.route("GET", "/api/jobs", [this](const httplib::Request& req, httplib::Response& res) {
    store::JobFilter f;
    if (!page_params(req, res, "a job id", f.limit, f.before_id)) return;
    if (req.has_param("state")) {
      f.state = store::parse_job_state(req.get_param_value("state"));
      if (!f.state) return error_reply(res, 400, "state: unknown '" + req.get_param_value("state").substr(0, 100) + "'");
    }
    if (req.has_param("workflow")) f.workflow = req.get_param_value("workflow");
    if (req.has_param("branch")) f.branch = req.get_param_value("branch");
    auto jobs = store_.list_jobs(f);
    auto list = nlohmann::ordered_json::array();
    for (const auto& j : jobs) list.push_back(job_json(j, false));
    nlohmann::ordered_json body = {{"jobs", std::move(list)}};
    body["next_before"] = static_cast<int>(jobs.size()) == f.limit ? nlohmann::ordered_json(jobs.back().id)
                                                                   : nlohmann::ordered_json();
    json_reply(res, 200, body);
  });
  s.route("GET", R"(/api/jobs/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
    std::int64_t id = 0;
    if (!parse_int(req.matches[1], id)) return error_reply(res, 404, "no such job");
    auto job = store_.get_job(id);
    if (!job) return error_reply(res, 404, "no job " + std::string(req.matches[1]));
    auto body = job_json(*job, true);
    auto app = job->pull_request ? store_.review_app(job->remote, job->workflow, *job->pull_request) : std::nullopt;
    body["review_app"] = app ? review_app_json(*app) : nlohmann::ordered_json();
    json_reply(res, 200, body);
  });
  s.route("GET", "/api/review-apps", [this](const httplib::Request& req, httplib::Response& res) {
    std::string state = req.get_param_value("state");
    if (!state.empty() && state != "active" && state != "deleting" && state != "deleted")
      return error_reply(res, 400, "state: active, deleting or deleted");
    auto list = nlohmann::ordered_json::array();
    for (const auto& a : store_.review_apps())
      if (state.empty() || a.state == state) list.push_back(review_app_json(a));
    json_reply(res, 200, {{"review_apps", std::move(list)}});
  });
  s.route("GET", "/api/notifications", [this](const httplib::Request& req, httplib::Response& res) {
    store::NotificationFilter f;
    if (!page_params(req, res, "a notification id", f.limit, f.before_id)) return;
    f.state = req.get_param_value("state");
    if (!f.state.empty() && f.state != "pending" && f.state != "delivered" && f.state != "failed")
      return error_reply(res, 400, "state: pending, delivered or failed");
    auto list = store_.list_notifications(f);
    auto items = nlohmann::ordered_json::array();
    for (const auto& x : list) items.push_back(notification_json(x));
    nlohmann::ordered_json body = {{"notifications", std::move(items)}, {"counts", store_.notification_counts()}};
    body["next_before"] = static_cast<int>(list.size()) == f.limit ? nlohmann::ordered_json(list.back().id)
                                                                   : nlohmann::ordered_json();
    json_reply(res, 200, body);
  });
  s.route("GET", R"(/api/jobs/(\d+)/log)", [this](const httplib::Request& req, httplib::Response& res) {
    std::int64_t id = 0, from = 0;
    auto job = parse_int(req.matches[1], id) ? store_.get_job(id) : std::nullopt;
    if (!job) return error_reply(res, 404, "no such job");
    // A job that never started has no log yet (200, empty); one whose file was
    // deleted must not look like a job that printed nothing.
    if (auto file = store::log_file(*job, store_.data_dir()); !file.empty() && !std::filesystem::exists(file))
      return error_reply(res, 410, "the log of job " + std::to_string(id) + " is gone (" + file.filename().string() +
                                       " was deleted)");
    if (req.has_param("offset") && !parse_int(req.get_param_value("offset"), from))
      return error_reply(res, 400, "offset: a byte offset into the log");
    bool follow = req.get_param_value("follow") == "1";
    // Where this reply starts: a client whose stream ended early (the
    // runner's time limit on a stream, or a dropped connection) resumes at
    // this plus what it received.
    res.set_header("X-Log-Offset", std::to_string(from));
    auto offset = std::make_shared<std::uint64_t>(static_cast<std::uint64_t>(from));
    auto until = std::chrono::steady_clock::now() + edge_->options().follow_max;
    res.set_chunked_content_provider("text/plain; charset=utf-8", [this, id, follow, offset, until](
                                                                      std::size_t, httplib::DataSink& sink) {
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
        if (final && !file.empty()) {
          std::string cut = store::log_cut_note(*job, *offset);
          if (!cut.empty() && !sink.write(cut.data(), cut.size())) return false;
        }
        if (!follow || final || edge_->stopping() || std::chrono::steady_clock::now() >= until) break;
        if (!wrote) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (!sink.is_writable()) return false;
      }
      sink.done();
      return true;
    });
  });
}

void HttpServer::action_routes() {
  auto reply = [](httplib::Response& res, const ActionResult& r) {
    if (!r.error.empty()) return error_reply(res, r.status, r.error);
    json_reply(res, r.status, r.job ? job_json(*r.job, true) : nlohmann::ordered_json::object());
  };
  http_->route("POST", R"(/api/workflows/([^/]+)/trigger)", [this, reply](const httplib::Request& req,
                                                                         httplib::Response& res) {
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
      if (key != "branch" && key != "commit") return error_reply(res, 400, "unknown key '" + key.substr(0, 100) + "'");
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
  http_->route("POST", R"(/api/notifications/(\d+)/retry)", [this](const httplib::Request& req,
                                                                     httplib::Response& res) {
    if (!authorized(req, res)) return;
    std::int64_t id = 0;
    auto n = parse_int(req.matches[1], id) ? store_.get_notification(id) : std::nullopt;
    if (!n) return error_reply(res, 404, "no such notification");
    if (!store_.requeue_notification(id, store::now_ms()))
      return error_reply(res, 409, "notification " + std::to_string(id) + " is " + n->state +
                                       ": only a given-up (failed) one is sent again");
    runner_.wake_notifier();
    json_reply(res, 200, notification_json(*store_.get_notification(id)));
  });
  http_->route("POST", R"(/api/jobs/(\d+)/cancel)", by_id(&RunnerView::cancel));
  http_->route("POST", R"(/api/jobs/(\d+)/rerun)", by_id(&RunnerView::rerun));
  http_->route("POST", R"(/api/jobs/(\d+)/tasks/(\d+)/promote)", [this, reply](const httplib::Request& req,
                                                                             httplib::Response& res) {
    if (!authorized(req, res)) return;
    std::int64_t id = 0, task = 0;
    if (!parse_int(req.matches[1], id) || !parse_int(req.matches[2], task) || task > 10000)
      return error_reply(res, 404, "no such task");
    reply(res, runner_.promote(id, static_cast<int>(task)));
  });
}

}  // namespace cwf::server
