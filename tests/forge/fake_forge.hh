#pragma once

// A stand-in for GitHub's and GitLab's REST APIs on 127.0.0.1:<any> (also
// under /api/v3 and /api/v4, as GitHub Enterprise and GitLab serve them): the
// commit-status, pull request and deployment endpoints the runner uses, answering the documented JSON
// shapes with pagination (GitHub's Link header, GitLab's X-Next-Page), and
// scripted trouble: the next requests fail with a status (and Retry-After or
// rate-limit headers) or never answer. It records every request it gets.

#include <httplib.h>

#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace cwf::test {

class FakeForge {
 public:
  struct Seen {
    std::string method, target, body;
    httplib::Headers headers;
    int remote_port = 0;
    std::string header(const std::string& name) const {
      auto it = headers.find(name);
      return it == headers.end() ? "" : it->second;
    }
  };
  struct Trouble {
    int status = 500;  // 0: never answer (until the client gives up)
    httplib::Headers headers;
  };

  // CONTROL: also the control API the cwf-fake-forge program is driven by:
  // PUT /_fake/github/{o}/{r}/{sha} {"statuses": [...], "check_runs": [...]},
  // PUT /_fake/gitlab/{sha}?project=P [...], PUT /_fake/github-pulls/{o}/{r}
  // [...], PUT /_fake/gitlab-mrs?project=P [...], POST /_fake/trouble
  // {"count", "status", "headers"}, GET /_fake/posts, GET /_fake/stats.
  explicit FakeForge(bool control = false);
  ~FakeForge();  // stops and joins
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // GitHub: the statuses (each {"context", "state"}) and check runs (each
  // {"name", "status", "conclusion"}) of REPO@SHA; SHA "*": any commit.
  void github(const std::string& repo, const std::string& sha, nlohmann::json statuses, nlohmann::json check_runs);
  // GitLab: the statuses (each {"id", "name", "status", "allow_failure"}) of PROJECT@SHA.
  void gitlab(const std::string& project, const std::string& sha, nlohmann::json statuses);
  // GitHub: REPO's pull requests, each as GET /repos/{o}/{r}/pulls gives it
  // ({"number", "state", "head": {"sha", "ref", "repo": {"full_name"}}, ...});
  // GET ...?state=open lists those whose state is "open".
  void pulls(const std::string& repo, nlohmann::json pulls);
  // GitLab: PROJECT's merge requests ({"iid", "state", "sha", ...}); GET
  // .../merge_requests?state=opened lists those whose state is "opened".
  void merge_requests(const std::string& project, nlohmann::json mrs);
  // Every comment made on a PR or MR: {"id", "target", "body", "edits"}
  // (also GET /_fake/comments; DELETE /_fake/comments/{id} removes one, as a person might).
  nlohmann::json comments() const;
  // The next COUNT requests get TROUBLE instead of their answer.
  void trouble(int count, Trouble trouble);

  std::vector<Seen> seen() const;
  std::vector<Seen> posts() const;  // the POSTs only
  std::size_t connections() const;  // distinct client sockets seen
  void forget();                    // seen requests and connections

 private:
  void serve_control();
  bool troubled(httplib::Response& res);
  void record(const httplib::Request& req);
  nlohmann::json lookup(const std::map<std::string, nlohmann::json>& m, const std::string& key,
                        const std::string& any_key) const;
  void page(const httplib::Request& req, httplib::Response& res, const nlohmann::json& all, bool github,
            const char* github_key);

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  std::map<std::string, nlohmann::json> github_statuses_, github_checks_, gitlab_;  // "repo@sha"
  std::map<std::string, nlohmann::json> pulls_, merge_requests_;                     // by repository
  std::map<std::string, nlohmann::json> environments_;                               // "project@name"
  std::map<int, nlohmann::json> comments_;                                           // by id
  int next_id_ = 0;
  std::vector<Trouble> troubles_;
  std::vector<Seen> seen_;
  std::set<int> ports_;
  std::atomic<bool> stopping_{false};
};

}  // namespace cwf::test
