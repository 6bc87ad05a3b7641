// The web UI's pages and its buttons' form posts.
#include <fstream>

#include "server/http_head.hh"
#include "server/http_internal.hh"
#include "server/web_ui.hh"

namespace cwf::server {
namespace {

// "https://host:port/path" -> "host:port"; empty when it is no such URL.
std::string authority_of(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  auto start = scheme + 3;
  return url.substr(start, url.find('/', start) - start);
}

}  // namespace

void HttpServer::ui_routes() {
  auto& s = *http_;
  s.route("GET", "/", [this](const httplib::Request& req, httplib::Response& res) {
    IndexView view;
    store::JobFilter& f = view.filter;
    f.limit = 50;
    std::int64_t before = 0;
    if (req.has_param("before") && parse_int(req.get_param_value("before"), before)) f.before_id = before;
    // A filter that can't match anything (too long, an unknown state) is dropped, not an error page.
    if (auto w = req.get_param_value("workflow"); w.size() <= 255) f.workflow = w;
    if (auto b = req.get_param_value("branch"); b.size() <= 255) f.branch = b;
    f.state = store::parse_job_state(req.get_param_value("state"));
    view.now_ms = store::now_ms();
    view.remotes = runner_.remotes();
    view.stalls = runner_.stalls();
    view.unrecorded = store_.unrecorded();
    view.actions = !options_.api_token.empty();
    for (const auto& w : runner_.config()->workflows) {
      store::JobFilter last;
      last.workflow = w.name;
      last.limit = 1;
      if (auto jobs = store_.list_jobs(last); !jobs.empty()) view.last_jobs[w.name] = jobs[0];
    }
    auto jobs = store_.list_jobs(f);
    std::optional<std::int64_t> older;
    if (static_cast<int>(jobs.size()) == f.limit) older = jobs.back().id;
    res.set_content(render_index(runner_.config_status(), *runner_.config(), jobs, older, view),
                    "text/html; charset=utf-8");
  });
  s.route("GET", R"(/jobs/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
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
    auto app = job->pull_request ? store_.review_app(job->remote, job->workflow, *job->pull_request) : std::nullopt;
    res.set_content(render_job(*job, log, skipped, !options_.api_token.empty(), app), "text/html; charset=utf-8");
  });
  // The buttons: the API's actions with the token as a form field, then back
  // to a job's page. The token counts only in the body (a URL's query ends
  // up in logs and history), and only from the runner's own pages: the
  // browser's Origin (or Referer) must name this host.
  using Form = std::multimap<std::string, std::string>;  // parse_query's: the first of a name counts
  auto form_action = [this](std::function<ActionResult(std::int64_t, const httplib::Request&, const Form&)> action) {
    return [this, action](const httplib::Request& req, httplib::Response& res) {
      std::int64_t id = 0;  // a job's actions; 0 for a workflow's
      parse_int(req.matches[1], id);
      auto form = parse_query(req.body);
      auto token = form.find("token");
      std::string origin = req.get_header_value("Origin");
      if (origin.empty()) origin = req.get_header_value("Referer");
      std::string from = authority_of(origin), host = req.get_header_value("Host");
      bool same_origin = !from.empty() && (from == host || from == authority_of(options_.public_url));
      ActionResult r;
      if (options_.api_token.empty()) r = {403, "actions are disabled: the runner has no API token", std::nullopt};
      else if (!same_origin) r = {403, "a form post must come from this runner's own pages", std::nullopt};
      else if (token == form.end() || !gitlab_token_valid(options_.api_token, token->second))
        r = {401, "wrong API token", std::nullopt};
      else r = action(id, req, form);
      if (!r.error.empty()) {
        res.status = r.status;
        res.set_content(render_action_error(id, r.status, r.error), "text/html; charset=utf-8");
        return;
      }
      res.set_redirect("/jobs/" + std::to_string(r.job ? r.job->id : id), 303);
    };
  };
  s.route("POST", R"(/jobs/(\d+)/cancel)",
          form_action([this](std::int64_t id, const httplib::Request&, const Form&) { return runner_.cancel(id); }));
  s.route("POST", R"(/jobs/(\d+)/rerun)",
          form_action([this](std::int64_t id, const httplib::Request&, const Form&) { return runner_.rerun(id); }));
  // Run: the workflow on a branch's head or a commit, as the API's trigger.
  s.route("POST", R"(/workflows/([^/]+)/run)",
          form_action([this](std::int64_t, const httplib::Request& req, const Form& form) {
            auto field = [&](const char* k) {
              auto it = form.find(k);
              return it == form.end() ? std::string() : it->second;
            };
            return runner_.trigger(req.matches[1], field("branch"), field("commit"));
          }));
  s.route("POST", R"(/jobs/(\d+)/tasks/(\d+)/promote)", form_action([this](std::int64_t id, const httplib::Request& req,
                                                                         const Form&) {
            std::int64_t task = 0;
            if (!parse_int(req.matches[2], task) || task > 10000) return ActionResult{404, "no such task", std::nullopt};
            return runner_.promote(id, static_cast<int>(task));
          }));
}

}  // namespace cwf::server
