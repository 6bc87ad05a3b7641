// The web UI's pages, its files, signing in and out, and its buttons' form posts.
#include <algorithm>
#include <fstream>

#include "server/http_head.hh"
#include "server/http_internal.hh"
#include "server/log_html.hh"
#include "server/templates.hh"
#include "server/web_assets.hh"
#include "server/web_ui.hh"

namespace cwf::server {
namespace {

constexpr const char* kCookie = "cwf_session";

// "https://host:port/path" -> "host:port"; empty when it is no such URL.
std::string authority_of(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  auto start = scheme + 3;
  return url.substr(start, url.find('/', start) - start);
}

// Where a sign-in may send the browser back to: a path on this runner only
// ("//evil.example" and "/\evil.example" are other hosts to a browser).
std::string local_path(const std::string& next) {
  if (next.empty() || next[0] != '/' || next.size() > 2000) return "/";
  if (next.size() > 1 && (next[1] == '/' || next[1] == '\\')) return "/";
  if (next.find_first_of("\r\n\t") != std::string::npos) return "/";
  return next;
}

using Form = std::multimap<std::string, std::string>;  // parse_query's: the first of a name counts

std::string field(const Form& form, const char* name) {
  auto it = form.find(name);
  return it == form.end() ? std::string() : it->second;
}

// A job's log on its page: at most its last MiB, from a line's start, its
// lines numbered as in the whole file. What a running job has not finished
// writing (a line without its newline yet) is left to the live stream.
struct ShownLog {
  std::string html;
  std::uint64_t skipped = 0;
  LogPosition next;  // where the live stream takes over
};

ShownLog shown_log(const std::filesystem::path& file, bool final) {
  constexpr std::uint64_t kShown = 1u << 20;
  ShownLog out;
  if (file.empty()) return out;
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  auto size = static_cast<std::uint64_t>(std::max<std::streamoff>(0, in.tellg()));
  LogPosition start;
  if (size > kShown) {
    // Line numbers count the newlines before the window: a read of the rest
    // of the file (at most --log-limit, 64 MiB by default) from the page cache.
    std::uint64_t from = size - kShown;
    in.seekg(0);
    std::int64_t lines = 0;
    char buf[1 << 16];
    for (std::uint64_t left = from; left > 0 && in;) {
      in.read(buf, static_cast<std::streamsize>(std::min<std::uint64_t>(left, sizeof buf)));
      lines += std::count(buf, buf + in.gcount(), '\n');
      left -= static_cast<std::uint64_t>(in.gcount());
    }
    start.offset = from;
    start.line = lines + 1;
  }
  in.clear();
  in.seekg(static_cast<std::streamoff>(start.offset));
  std::string window(std::istreambuf_iterator<char>(in), {});
  std::size_t cut = 0;
  if (start.offset > 0) {  // begin at the first whole line in the window
    cut = window.find('\n');
    cut = cut == std::string::npos ? window.size() : cut + 1;
    start.offset += cut;
    ++start.line;
  }
  LogHtml html(true, start);
  out.html = html.feed(std::string_view(window).substr(cut), final);
  out.skipped = start.offset;
  out.next = html.position();
  return out;
}

}  // namespace

Viewer HttpServer::viewer(const httplib::Request& req) const {
  Viewer v;
  v.can_sign_in = !options_.api_token.empty();
  v.path = req.path;
  if (auto s = session_of(req)) v.csrf = s->csrf;
  return v;
}

std::optional<Session> HttpServer::session_of(const httplib::Request& req) const {
  if (options_.api_token.empty()) return std::nullopt;
  // "a=1; cwf_session=...; b=2": the first cookie of that name counts.
  std::string cookies = req.get_header_value("Cookie");
  std::string_view rest = cookies;
  while (!rest.empty()) {
    auto end = rest.find(';');
    std::string_view part = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.rfind(std::string(kCookie) + "=", 0) == 0)
      return sessions_.find(std::string(part.substr(std::string_view(kCookie).size() + 1)), store::now_ms());
  }
  return std::nullopt;
}

void HttpServer::ui_routes() {
  auto& s = *http_;
  auto html = [](httplib::Response& res, const std::string& body) { res.set_content(body, "text/html; charset=utf-8"); };
  s.route("GET", R"(/static/([^/]+))", [](const httplib::Request& req, httplib::Response& res) {
    std::string name = req.matches[1];
    auto it = web_assets().find("static/" + name);
    if (it == web_assets().end()) {
      res.status = 404;
      return res.set_content("no such file\n", "text/plain; charset=utf-8");
    }
    auto asset = it->second;
    // Pages name these with ?v=<hash of their contents>: a named version never changes.
    res.set_header("Cache-Control", req.get_param_value("v") == asset_version() ? "public, max-age=31536000, immutable"
                                                                                : "no-cache");
    res.set_content(std::string(asset), name.ends_with(".css")   ? "text/css; charset=utf-8"
                                        : name.ends_with(".svg") ? "image/svg+xml"
                                                                 : "text/javascript; charset=utf-8");
  });
  s.route("GET", "/", [this, html](const httplib::Request& req, httplib::Response& res) {
    IndexView view;
    store::JobFilter& f = view.filter;
    f.limit = 50;
    std::int64_t before = 0;
    if (req.has_param("before") && parse_int(req.get_param_value("before"), before)) f.before_id = before;
    // A filter that can't match anything (too long, an unknown state) is dropped, not an error page.
    if (auto w = req.get_param_value("workflow"); w.size() <= 255) f.workflow = w;
    if (auto b = req.get_param_value("branch"); b.size() <= 255) f.branch = b;
    f.state = store::parse_job_state(req.get_param_value("state"));
    view.remotes = runner_.remotes();
    view.stalls = runner_.stalls();
    view.unrecorded = store_.unrecorded();
    view.store_error = store::JobStore::last_error();
    if (auto failed = store_.list_notifications({"failed", 1, std::nullopt}); !failed.empty()) view.gave_up = failed[0];
    for (auto& n : store_.list_notifications({"pending", 20, std::nullopt}))
      if (n.attempts > 0 && view.retrying.size() < 3) view.retrying.push_back(std::move(n));
    auto config = runner_.config();
    auto jobs = store_.list_jobs(f);
    std::optional<std::int64_t> older;
    if (static_cast<int>(jobs.size()) == f.limit) older = jobs.back().id;
    res.set_header("Cache-Control", "no-store");
    html(res, render_index(runner_.config_status(), *config, jobs, older, view, viewer(req)));
  });
  s.route("GET", "/workflows", [this, html](const httplib::Request& req, httplib::Response& res) {
    auto config = runner_.config();
    std::map<std::string, store::JobRecord> last_jobs;
    for (const auto& w : config->workflows) {
      store::JobFilter last;
      last.workflow = w.name;
      last.limit = 1;
      if (auto jobs = store_.list_jobs(last); !jobs.empty()) last_jobs[w.name] = jobs[0];
    }
    res.set_header("Cache-Control", "no-store");
    html(res, render_workflows(*config, last_jobs, viewer(req)));
  });
  s.route("GET", R"(/jobs/(\d+))", [this, html](const httplib::Request& req, httplib::Response& res) {
    std::int64_t id = 0;
    auto job = parse_int(req.matches[1], id) ? store_.get_job(id) : std::nullopt;
    Viewer who = viewer(req);
    if (!job) {
      res.status = 404;
      return html(res, render_action_error(0, 404, "no such job", who));
    }
    bool final = store::is_final(job->state);
    auto log = shown_log(store::log_file(*job, store_.data_dir()), final);
    JobView view;
    view.log_html = std::move(log.html);
    view.truncated = log.skipped;
    if (!final) view.events = "/jobs/" + std::to_string(id) + "/events?from=" + log.next.to_string();
    if (job->pull_request) view.app = store_.review_app(job->remote, job->workflow, *job->pull_request);
    res.set_header("Cache-Control", "no-store");
    html(res, render_job(*job, view, who));
  });

  // Signing in: the API token, once, for a session cookie the browser sends
  // back only to this site (SameSite=Strict) and no script can read (HttpOnly).
  s.route("GET", "/login", [this, html](const httplib::Request& req, httplib::Response& res) {
    if (options_.api_token.empty()) {
      res.status = 403;
      return html(res, render_action_error(0, 403, "signing in is disabled: the runner has no API token", {}));
    }
    html(res, render_login(local_path(req.get_param_value("next")), "", viewer(req)));
  });
  s.route("POST", "/login", [this, html](const httplib::Request& req, httplib::Response& res) {
    auto form = parse_query(req.body);
    std::string next = local_path(field(form, "next"));
    std::string refused = options_.api_token.empty()             ? "signing in is disabled: the runner has no API token"
                          : !same_origin(req)                    ? "a sign-in must come from this runner's own page"
                          : !gitlab_token_valid(options_.api_token, field(form, "token")) ? "wrong API token"
                                                                                          : "";
    if (!refused.empty()) {
      res.status = options_.api_token.empty() || !same_origin(req) ? 403 : 401;
      return html(res, render_login(next, refused, {}));
    }
    Session session = sessions_.create(store::now_ms());
    std::string cookie = std::string(kCookie) + "=" + session.id + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                         std::to_string(SessionStore::kLifetimeMs / 1000);
    if (options_.public_url.rfind("https://", 0) == 0) cookie += "; Secure";
    res.set_header("Set-Cookie", cookie);
    res.set_redirect(next, 303);
  });
  s.route("POST", "/logout", [this](const httplib::Request& req, httplib::Response& res) {
    auto form = parse_query(req.body);
    auto session = session_of(req);
    // A cross-site post can't sign anyone out: the form's token must match.
    if (session && same_origin(req) && gitlab_token_valid(session->csrf, field(form, "csrf"))) sessions_.end(session->id);
    res.set_header("Set-Cookie", std::string(kCookie) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    res.set_redirect("/", 303);
  });

  // The buttons: the API's actions from a signed-in browser (the session's
  // form token in the body), or with the API token as a form field (a
  // script's curl); either only from the runner's own pages: the browser's
  // Origin (or Referer) must name this host.
  auto form_action = [this, html](std::function<ActionResult(std::int64_t, const httplib::Request&, const Form&)> action) {
    return [this, action, html](const httplib::Request& req, httplib::Response& res) {
      std::int64_t id = 0;  // a job's actions; 0 for a workflow's
      parse_int(req.matches[1], id);
      auto form = parse_query(req.body);
      auto session = session_of(req);
      bool by_session = session && gitlab_token_valid(session->csrf, field(form, "csrf"));
      bool by_token = !options_.api_token.empty() && form.count("token") &&
                      gitlab_token_valid(options_.api_token, field(form, "token"));
      ActionResult r;
      if (options_.api_token.empty()) r = {403, "actions are disabled: the runner has no API token", std::nullopt};
      else if (!same_origin(req)) r = {403, "a form post must come from this runner's own pages", std::nullopt};
      else if (!by_session && !by_token)
        r = {401, session ? "this form is stale: reload the page and try again" : "sign in first", std::nullopt};
      else r = action(id, req, form);
      if (!r.error.empty()) {
        res.status = r.status;
        return html(res, render_action_error(id, r.status, r.error, viewer(req)));
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
            return runner_.trigger(req.matches[1], field(form, "branch"), field(form, "commit"));
          }));
  s.route("POST", R"(/jobs/(\d+)/tasks/(\d+)/promote)", form_action([this](std::int64_t id, const httplib::Request& req,
                                                                         const Form&) {
            std::int64_t task = 0;
            if (!parse_int(req.matches[2], task) || task > 10000) return ActionResult{404, "no such task", std::nullopt};
            return runner_.promote(id, static_cast<int>(task));
          }));
}

bool HttpServer::same_origin(const httplib::Request& req) const {
  std::string origin = req.get_header_value("Origin");
  if (origin.empty()) origin = req.get_header_value("Referer");
  std::string from = authority_of(origin), host = req.get_header_value("Host");
  return !from.empty() && (from == host || from == authority_of(options_.public_url));
}

}  // namespace cwf::server
