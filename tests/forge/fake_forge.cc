#include "forge/fake_forge.hh"

#include <chrono>

using nlohmann::json;

namespace cwf::test {
namespace {

int int_param(const httplib::Request& req, const char* name, int fallback) {
  if (!req.has_param(name)) return fallback;
  try {
    return std::stoi(req.get_param_value(name));
  } catch (const std::exception&) {
    return fallback;
  }
}

// GitHub's combined state: failure over pending over success; no status at all is pending.
std::string combined(const json& statuses) {
  std::string state = statuses.empty() ? "pending" : "success";
  for (const auto& s : statuses) {
    std::string v = s.value("state", "");
    if (v == "failure" || v == "error") return "failure";
    if (v == "pending") state = "pending";
  }
  return state;
}

}  // namespace

FakeForge::FakeForge(bool control) {
  if (control) serve_control();
  server_.Get(R"((?:/api/v3)?/repos/([^/]+/[^/]+)/commits/([0-9a-f]{40})/(status|check-runs))",
              [this](const httplib::Request& req, httplib::Response& res) {
                record(req);
                if (troubled(res)) return;
                std::string key = req.matches[1].str() + "@" + req.matches[2].str();
                bool checks = req.matches[3] == "check-runs";
                json all = lookup(checks ? github_checks_ : github_statuses_, key, req.matches[1].str() + "@*");
                page(req, res, all, true, checks ? "check_runs" : "statuses");
              });
  // A status posted: 201 with the status, as both forges answer.
  auto created = [this](const httplib::Request& req, httplib::Response& res) {
    record(req);
    if (troubled(res)) return;
    json body = json::parse(req.body, nullptr, false);
    body["id"] = 1;
    res.status = 201;
    res.set_content(body.dump(), "application/json");
  };
  server_.Post(R"((?:/api/v3)?/repos/([^/]+/[^/]+)/statuses/([0-9a-f]{40}))", created);
  // httplib hands handlers the decoded path: group%2Fname arrives as group/name.
  server_.Get(R"((?:/api/v4)?/projects/(.+)/repository/commits/([0-9a-f]{40})/statuses)",
              [this](const httplib::Request& req, httplib::Response& res) {
                record(req);
                if (troubled(res)) return;
                json all = lookup(gitlab_, req.matches[1].str() + "@" + req.matches[2].str(), req.matches[1].str() + "@*");
                page(req, res, all, false, nullptr);
              });
  server_.Post(R"((?:/api/v4)?/projects/(.+)/statuses/([0-9a-f]{40}))", created);
  // Deployments (GitHub) and environments (GitLab), numbered as created.
  server_.Post(R"((?:/api/v3)?/repos/([^/]+/[^/]+)/deployments)", [this](const httplib::Request& req, httplib::Response& res) {
    record(req);
    if (troubled(res)) return;
    json body = json::parse(req.body, nullptr, false);
    std::lock_guard lock(mu_);
    body["id"] = ++next_id_;
    res.status = 201;
    res.set_content(body.dump(), "application/json");
  });
  server_.Post(R"((?:/api/v3)?/repos/([^/]+/[^/]+)/deployments/(\d+)/statuses)", created);
  server_.Post(R"((?:/api/v4)?/projects/(.+)/environments)", [this](const httplib::Request& req, httplib::Response& res) {
    record(req);
    if (troubled(res)) return;
    json body = json::parse(req.body, nullptr, false);
    std::string key = req.matches[1].str() + "@" + body.value("name", "");
    std::lock_guard lock(mu_);
    if (environments_.count(key)) {
      res.status = 400;
      res.set_content(R"({"message":{"name":["has already been taken"]}})", "application/json");
      return;
    }
    body["id"] = ++next_id_;
    body["state"] = "available";
    environments_[key] = body;
    res.status = 201;
    res.set_content(body.dump(), "application/json");
  });
  server_.Get(R"((?:/api/v4)?/projects/(.+)/environments)", [this](const httplib::Request& req, httplib::Response& res) {
    record(req);
    if (troubled(res)) return;
    json out = json::array();
    std::lock_guard lock(mu_);
    if (auto it = environments_.find(req.matches[1].str() + "@" + req.get_param_value("name")); it != environments_.end())
      out.push_back(it->second);
    res.set_content(out.dump(), "application/json");
  });
  server_.Post(R"((?:/api/v4)?/projects/(.+)/environments/(\d+)/stop)", [this](const httplib::Request& req, httplib::Response& res) {
    record(req);
    if (troubled(res)) return;
    std::lock_guard lock(mu_);
    for (auto& [key, env] : environments_)
      if (std::to_string(env.value("id", 0)) == req.matches[2].str()) {
        env["state"] = "stopped";
        return res.set_content(env.dump(), "application/json");
      }
    res.status = 404;
    res.set_content(R"({"message":"404 Environment Not Found"})", "application/json");
  });
  // Comments on PRs (GitHub issue comments) and MRs (GitLab notes): made, edited.
  auto comment_made = [this](const httplib::Request& req, httplib::Response& res) {
    record(req);
    if (troubled(res)) return;
    json body = json::parse(req.body, nullptr, false);
    std::lock_guard lock(mu_);
    int id = ++next_id_;
    comments_[id] = {{"id", id}, {"target", req.target}, {"body", body.value("body", "")}, {"edits", 0}};
    res.status = 201;
    res.set_content(comments_[id].dump(), "application/json");
  };
  auto comment_edited = [this](const httplib::Request& req, httplib::Response& res) {
    record(req);
    if (troubled(res)) return;
    json body = json::parse(req.body, nullptr, false);
    std::lock_guard lock(mu_);
    auto it = comments_.find(std::atoi(req.matches[req.matches.size() - 1].str().c_str()));
    if (it == comments_.end()) {
      res.status = 404;
      return res.set_content(R"({"message":"Not Found"})", "application/json");
    }
    it->second["body"] = body.value("body", "");
    it->second["edits"] = it->second["edits"].get<int>() + 1;
    res.set_content(it->second.dump(), "application/json");
  };
  server_.Post(R"((?:/api/v3)?/repos/([^/]+/[^/]+)/issues/(\d+)/comments)", comment_made);
  server_.Patch(R"((?:/api/v3)?/repos/([^/]+/[^/]+)/issues/comments/(\d+))", comment_edited);
  server_.Post(R"((?:/api/v4)?/projects/(.+)/merge_requests/(\d+)/notes)", comment_made);
  server_.Put(R"((?:/api/v4)?/projects/(.+)/merge_requests/(\d+)/notes/(\d+))", comment_edited);
  // Lists of PRs and MRs, filtered by ?state= as the forges do (GitHub's
  // default is open; GitLab's is all).
  auto listed = [this](const httplib::Request& req, httplib::Response& res, const std::map<std::string, json>& from,
                       const std::string& fallback_state, bool github) {
    record(req);
    if (troubled(res)) return;
    json all = lookup(from, req.matches[1].str(), "");
    std::string state = req.has_param("state") ? req.get_param_value("state") : fallback_state;
    json kept = json::array();
    for (const auto& p : all)
      if (state == "all" || p.value("state", "") == state) kept.push_back(p);
    page(req, res, kept, github, nullptr);
  };
  server_.Get(R"((?:/api/v3)?/repos/([^/]+/[^/]+)/pulls)",
              [this, listed](const httplib::Request& req, httplib::Response& res) { listed(req, res, pulls_, "open", true); });
  server_.Get(R"((?:/api/v4)?/projects/(.+)/merge_requests)", [this, listed](const httplib::Request& req, httplib::Response& res) {
    listed(req, res, merge_requests_, "all", false);
  });
  server_.set_tcp_nodelay(true);
  server_.set_keep_alive_max_count(1000);  // nginx's default keepalive_requests; httplib's is 5
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

FakeForge::~FakeForge() {
  stopping_ = true;
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

void FakeForge::github(const std::string& repo, const std::string& sha, json statuses, json check_runs) {
  std::lock_guard lock(mu_);
  github_statuses_[repo + "@" + sha] = std::move(statuses);
  github_checks_[repo + "@" + sha] = std::move(check_runs);
}

void FakeForge::gitlab(const std::string& project, const std::string& sha, json statuses) {
  std::lock_guard lock(mu_);
  gitlab_[project + "@" + sha] = std::move(statuses);
}

void FakeForge::pulls(const std::string& repo, json pulls) {
  std::lock_guard lock(mu_);
  pulls_[repo] = std::move(pulls);
}

void FakeForge::merge_requests(const std::string& project, json mrs) {
  std::lock_guard lock(mu_);
  merge_requests_[project] = std::move(mrs);
}

json FakeForge::comments() const {
  std::lock_guard lock(mu_);
  json out = json::array();
  for (const auto& [id, c] : comments_) out.push_back(c);
  return out;
}

void FakeForge::trouble(int count, Trouble t) {
  std::lock_guard lock(mu_);
  for (int i = 0; i < count; ++i) troubles_.push_back(t);
}

std::vector<FakeForge::Seen> FakeForge::seen() const {
  std::lock_guard lock(mu_);
  return seen_;
}

std::vector<FakeForge::Seen> FakeForge::posts() const {
  std::vector<Seen> out;
  for (auto& s : seen())
    if (s.method == "POST" && s.target.rfind("/_fake", 0) != 0) out.push_back(s);
  return out;
}

std::size_t FakeForge::connections() const {
  std::lock_guard lock(mu_);
  return ports_.size();
}

void FakeForge::forget() {
  std::lock_guard lock(mu_);
  seen_.clear();
  ports_.clear();
}

void FakeForge::record(const httplib::Request& req) {
  std::lock_guard lock(mu_);
  seen_.push_back({req.method, req.target, req.body, req.headers, req.remote_port});
  ports_.insert(req.remote_port);
}

bool FakeForge::troubled(httplib::Response& res) {
  Trouble t;
  {
    std::lock_guard lock(mu_);
    if (troubles_.empty()) return false;
    t = troubles_.front();
    troubles_.erase(troubles_.begin());
  }
  if (t.status == 0) {  // never answer: hold the connection until the client gives up or we stop
    for (int i = 0; i < 300 && !stopping_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    res.status = 503;
    return true;
  }
  res.status = t.status;
  for (const auto& [k, v] : t.headers) res.set_header(k, v);
  res.set_content(json{{"message", "stand-in trouble " + std::to_string(t.status)}}.dump(), "application/json");
  return true;
}

json FakeForge::lookup(const std::map<std::string, json>& m, const std::string& key, const std::string& any_key) const {
  std::lock_guard lock(mu_);
  if (auto it = m.find(key); it != m.end()) return it->second;
  if (auto it = m.find(any_key); it != m.end()) return it->second;
  return json::array();
}

void FakeForge::page(const httplib::Request& req, httplib::Response& res, const json& all, bool github,
                     const char* github_key) {
  int per_page = std::max(1, int_param(req, "per_page", 30)), n = std::max(1, int_param(req, "page", 1));
  json items = json::array();
  for (int i = (n - 1) * per_page; i < static_cast<int>(all.size()) && i < n * per_page; ++i) items.push_back(all[i]);
  bool more = n * per_page < static_cast<int>(all.size());
  std::string path = req.target.substr(0, req.target.find('?'));
  if (github) {
    if (more)
      res.set_header("Link", "<" + url() + path + "?per_page=" + std::to_string(per_page) + "&page=" +
                                 std::to_string(n + 1) + ">; rel=\"next\"");
    if (!github_key) return res.set_content(items.dump(), "application/json");  // a bare array: /pulls
    json body = {{"total_count", all.size()}, {github_key, items}};
    if (std::string(github_key) == "statuses") body["state"] = combined(all);
    res.set_content(body.dump(), "application/json");
  } else {
    res.set_header("X-Page", std::to_string(n));
    res.set_header("X-Next-Page", more ? std::to_string(n + 1) : "");
    res.set_content(items.dump(), "application/json");
  }
}

void FakeForge::serve_control() {
  server_.Put(R"(/_fake/github/([^/]+/[^/]+)/([0-9a-f]{40}|\*))", [this](const httplib::Request& req, httplib::Response& res) {
    json b = json::parse(req.body, nullptr, false);
    github(req.matches[1], req.matches[2], b.value("statuses", json::array()), b.value("check_runs", json::array()));
    res.set_content("{}", "application/json");
  });
  server_.Put(R"(/_fake/gitlab/([0-9a-f]{40}|\*))", [this](const httplib::Request& req, httplib::Response& res) {
    gitlab(req.get_param_value("project"), req.matches[1], json::parse(req.body, nullptr, false));
    res.set_content("{}", "application/json");
  });
  server_.Put(R"(/_fake/github-pulls/([^/]+/[^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    pulls(req.matches[1], json::parse(req.body, nullptr, false));
    res.set_content("{}", "application/json");
  });
  server_.Put("/_fake/gitlab-mrs", [this](const httplib::Request& req, httplib::Response& res) {
    merge_requests(req.get_param_value("project"), json::parse(req.body, nullptr, false));
    res.set_content("{}", "application/json");
  });
  server_.Post("/_fake/trouble", [this](const httplib::Request& req, httplib::Response& res) {
    json b = json::parse(req.body, nullptr, false);
    Trouble t;
    t.status = b.value("status", 500);
    json headers = b.is_object() && b.contains("headers") ? b["headers"] : json::object();
    for (const auto& [k, v] : headers.items()) t.headers.emplace(k, v.get<std::string>());
    trouble(b.value("count", 1), t);
    res.set_content("{}", "application/json");
  });
  server_.Get("/_fake/comments", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(comments().dump(), "application/json");
  });
  server_.Delete(R"(/_fake/comments/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    comments_.erase(std::atoi(req.matches[1].str().c_str()));
    res.set_content("{}", "application/json");
  });
  server_.Get("/_fake/stats", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(json{{"requests", seen().size()}, {"posts", posts().size()}, {"connections", connections()}}.dump(),
                    "application/json");
  });
  server_.Get("/_fake/posts", [this](const httplib::Request&, httplib::Response& res) {
    json out = json::array();
    for (const auto& p : posts())
      out.push_back({{"target", p.target},
                     {"body", json::parse(p.body, nullptr, false)},
                     {"authorization", p.header("Authorization") + p.header("PRIVATE-TOKEN")}});
    res.set_content(out.dump(), "application/json");
  });
}

}  // namespace cwf::test
