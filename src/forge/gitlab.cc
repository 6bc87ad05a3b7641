// GitLab's REST API: GET /projects/{id}/repository/commits/{sha}/statuses
// (all=true: every try of every job) and POST /projects/{id}/statuses/{sha};
// {id} is the project's path, URL-encoded; the open merge requests; environments.
#include "forge/forge.hh"

namespace cwf::forge {
namespace {

class GitLab : public ForgeApi {
 public:
  GitLab(const std::string& api_url, const std::string& token, HttpOptions options)
      : http_(api_url, headers(token), options) {}

  const char* name() const override { return "gitlab"; }
  const ForgeHttp& http() const override { return http_; }
  ForgeHttp& http() override { return http_; }

  StatusRead read(const std::string& repository, const std::string& sha) override {
    StatusRead out;
    std::vector<std::string> pages;
    HttpReply r = get_pages(
        http_, "/projects/" + url_encode(repository) + "/repository/commits/" + sha + "/statuses?all=true&per_page=100",
        pages);
    if (!r.ok()) {
      out.error = "GitLab commit statuses: " + r.error;
      out.retry_after = r.retry_after;
    } else if (auto bad = gitlab_contexts(pages, out.contexts)) {
      out.error = "GitLab: " + *bad;
    }
    return out;
  }

  PullRequestList open_pull_requests(const std::string& repository) override {
    PullRequestList out;
    std::vector<std::string> pages;
    HttpReply r =
        get_pages(http_, "/projects/" + url_encode(repository) + "/merge_requests?state=opened&per_page=100", pages);
    if (!r.ok()) out.error = "GitLab merge requests: " + r.error;
    out.complete = r.next_page.empty();
    for (std::size_t i = 0; out.ok() && i < pages.size(); ++i)
      if (auto bad = add_gitlab_merge_requests(pages[i], out.open)) out.error = "GitLab: " + *bad;
    return out;
  }

  Created deploy(const std::string& repository, const Deployment& d) override {
    Created out;
    const std::string environments = "/projects/" + url_encode(repository) + "/environments";
    HttpReply made = http_.post_json(environments, gitlab_environment_body(d));
    if (made.ok()) {
      out.id = created_id(made.body);
    } else if (made.status == 400 || made.status == 409) {  // it exists: the PR's earlier deploy made it
      HttpReply found = http_.get(environments + "?name=" + url_encode(d.environment));
      if (found.ok()) out.id = gitlab_environment_id(found.body, d.environment);
    }
    if (out.id.empty()) return created(made, "GitLab environment");
    return out;
  }

  Created comment(const std::string& repository, int number, const std::string& id, const std::string& body) override {
    const std::string notes =
        "/projects/" + url_encode(repository) + "/merge_requests/" + std::to_string(number) + "/notes";
    std::string json_body = comment_body(body);
    return edit_or_make(
        id, [&] { return http_.put_json(notes + "/" + id, json_body); },
        [&] { return http_.post_json(notes, json_body); }, "GitLab note");
  }

  HttpReply retire(const std::string& repository, const std::string& id) override {
    return http_.post_json("/projects/" + url_encode(repository) + "/environments/" + id + "/stop", "{}");
  }

  HttpReply post(const std::string& repository, const std::string& sha, const StatusPost& post) override {
    return http_.post_json("/projects/" + url_encode(repository) + "/statuses/" + sha, gitlab_status_body(post));
  }

 private:
  static std::vector<std::pair<std::string, std::string>> headers(const std::string& token) {
    if (token.empty()) return {};
    return {{"PRIVATE-TOKEN", token}};
  }
  ForgeHttp http_;
};

}  // namespace

std::unique_ptr<ForgeApi> make_gitlab(const std::string& api_url, const std::string& token, HttpOptions options) {
  return std::make_unique<GitLab>(api_url, token, options);
}

}  // namespace cwf::forge
