// GitHub's REST API: the combined status and the check runs of a commit
// (GET /repos/{owner}/{repo}/commits/{sha}/status, .../check-runs), and
// POST /repos/{owner}/{repo}/statuses/{sha}; the open pull requests; deployments.
#include "forge/forge.hh"

namespace cwf::forge {
namespace {

class GitHub : public ForgeApi {
 public:
  GitHub(const std::string& api_url, const std::string& token, HttpOptions options)
      : http_(api_url, headers(token), options) {}

  const char* name() const override { return "github"; }
  const ForgeHttp& http() const override { return http_; }
  ForgeHttp& http() override { return http_; }

  StatusRead read(const std::string& repository, const std::string& sha) override {
    StatusRead out;
    const std::string commit = "/repos/" + repository + "/commits/" + sha;
    for (bool checks : {false, true}) {
      std::vector<std::string> pages;
      HttpReply r = get_pages(http_, commit + (checks ? "/check-runs" : "/status") + "?per_page=100", pages);
      if (!r.ok()) {
        out.error = "GitHub " + std::string(checks ? "check runs" : "commit status") + ": " + r.error;
        out.retry_after = r.retry_after;
        return out;
      }
      for (const auto& page : pages)
        if (auto bad = checks ? add_github_check_runs(page, out.contexts) : add_github_statuses(page, out.contexts)) {
          out.error = "GitHub: " + *bad;
          return out;
        }
    }
    return out;
  }

  PullRequestList open_pull_requests(const std::string& repository) override {
    PullRequestList out;
    std::vector<std::string> pages;
    HttpReply r = get_pages(http_, "/repos/" + repository + "/pulls?state=open&per_page=100", pages);
    if (!r.ok()) out.error = "GitHub pull requests: " + r.error;
    out.complete = r.next_page.empty();
    for (std::size_t i = 0; out.ok() && i < pages.size(); ++i)
      if (auto bad = add_github_pulls(pages[i], repository, out.open)) out.error = "GitHub: " + *bad;
    return out;
  }

  Created deploy(const std::string& repository, const Deployment& d) override {
    Created out = created(http_.post_json("/repos/" + repository + "/deployments", github_deployment_body(d)),
                          "GitHub deployment");
    if (!out.ok()) return out;
    HttpReply status = http_.post_json("/repos/" + repository + "/deployments/" + out.id + "/statuses",
                                       github_deployment_status_body(d, "success"));
    if (!status.ok()) out.error = "GitHub deployment status: " + status.error;
    return out;
  }

  Created comment(const std::string& repository, int number, const std::string& id, const std::string& body) override {
    std::string json_body = comment_body(body);
    return edit_or_make(
        id, [&] { return http_.patch_json("/repos/" + repository + "/issues/comments/" + id, json_body); },
        [&] { return http_.post_json("/repos/" + repository + "/issues/" + std::to_string(number) + "/comments", json_body); },
        "GitHub comment");
  }

  HttpReply retire(const std::string& repository, const std::string& id) override {
    return http_.post_json("/repos/" + repository + "/deployments/" + id + "/statuses",
                           github_deployment_status_body(Deployment{}, "inactive"));
  }

  HttpReply post(const std::string& repository, const std::string& sha, const StatusPost& post) override {
    return http_.post_json("/repos/" + repository + "/statuses/" + sha, github_status_body(post));
  }

 private:
  static std::vector<std::pair<std::string, std::string>> headers(const std::string& token) {
    std::vector<std::pair<std::string, std::string>> h = {{"X-GitHub-Api-Version", "2022-11-28"}};
    if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
    return h;
  }
  ForgeHttp http_;
};

}  // namespace

std::unique_ptr<ForgeApi> make_github(const std::string& api_url, const std::string& token, HttpOptions options) {
  return std::make_unique<GitHub>(api_url, token, options);
}

}  // namespace cwf::forge
