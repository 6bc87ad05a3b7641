#pragma once

// A forge's commit statuses: reading what a commit's CI says (the gate) and
// posting the runner's own (reporting). GitHub and GitLab implement ForgeApi
// over ForgeHttp; the JSON they speak is read and written by the pure
// functions below, which the tests feed the documented shapes.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forge/http_client.hh"

namespace cwf::forge {

// The runner's own contexts: posted by it, never part of its gate.
inline constexpr std::string_view kOwnContextPrefix = "convox-workflows/";

// What a commit's statuses and check runs say, the runner's own left out.
struct Contexts {
  std::vector<std::string> pending, failing;  // e.g. "ci/test (pending)"
  int seen = 0;                               // statuses and check runs that count
};
enum class Verdict { success, pending, failure, none };
Verdict verdict(const Contexts& c);
// "a, b, c and 2 more"
std::string join_some(const std::vector<std::string>& items, std::size_t max = 4);

struct StatusRead {
  Contexts contexts;
  std::string error;  // the forge did not answer, or not as documented
  std::chrono::milliseconds retry_after{0};
  bool ok() const { return error.empty(); }
};

// Job-level states; each forge has its own words for them.
enum class PostState { pending, running, success, failure, error };
struct StatusPost {
  PostState state = PostState::pending;
  std::string context;      // convox-workflows/<workflow>
  std::string description;  // at most 140 characters (GitHub's limit)
  std::string target_url;   // the job's page; empty: none
};

// An open pull request (GitHub) or merge request (GitLab), as its forge lists it.
struct PullRequest {
  int number = 0;           // GitHub's number, GitLab's iid
  std::string head_sha;     // what the forge says; the published ref's commit is what runs
  std::string head_branch;  // the source branch (in the fork, for a fork's PR)
  std::string base_branch;
  bool fork = false;  // the head lives in another repository (or one since deleted)
  bool draft = false;
  std::string url, title, author;
};

struct PullRequestList {
  std::vector<PullRequest> open;
  bool complete = true;  // false: more pages than were read (only what is listed may be acted on)
  std::string error;     // the forge did not answer, or not as documented
  bool ok() const { return error.empty(); }
};

// A review app deployed: a GitHub deployment (environment ENVIRONMENT,
// transient, its status success with the URLs), or a GitLab environment
// with its external URL.
struct Deployment {
  std::string environment;  // review/pr-7
  std::string sha, url, log_url, description;
};
struct Created {
  std::string id;     // the deployment's, environment's or comment's
  std::string error;  // what the forge said, when it did not take it
  bool ok() const { return error.empty(); }
};

class ForgeApi {
 public:
  virtual ~ForgeApi() = default;
  virtual const char* name() const = 0;  // "github" or "gitlab"
  virtual StatusRead read(const std::string& repository, const std::string& sha) = 0;
  virtual HttpReply post(const std::string& repository, const std::string& sha, const StatusPost& post) = 0;
  // Every open PR/MR of REPOSITORY (GitHub GET /repos/{r}/pulls?state=open,
  // GitLab GET /projects/:id/merge_requests?state=opened), all pages.
  virtual PullRequestList open_pull_requests(const std::string& repository) = 0;
  virtual Created deploy(const std::string& repository, const Deployment& d) = 0;
  // The deployment ID made inactive (GitHub) / the environment stopped (GitLab).
  virtual HttpReply retire(const std::string& repository, const std::string& id) = 0;
  // BODY as a comment on PR NUMBER (a GitHub issue comment, a GitLab MR
  // note): a new one, or comment ID edited (made anew if it was deleted).
  virtual Created comment(const std::string& repository, int number, const std::string& id,
                          const std::string& body) = 0;
  virtual const ForgeHttp& http() const = 0;
  virtual ForgeHttp& http() = 0;
};

std::unique_ptr<ForgeApi> make_github(const std::string& api_url, const std::string& token, HttpOptions options);
std::unique_ptr<ForgeApi> make_gitlab(const std::string& api_url, const std::string& token, HttpOptions options);

// GitHub: pages of GET .../commits/{sha}/status and .../check-runs. An error
// when a page is not the documented JSON.
std::optional<std::string> add_github_statuses(std::string_view page, Contexts& into);
std::optional<std::string> add_github_check_runs(std::string_view page, Contexts& into);
// GitLab: all pages of GET .../repository/commits/{sha}/statuses?all=true; a
// retried job appears once per try, and its newest try counts.
std::optional<std::string> gitlab_contexts(const std::vector<std::string>& pages, Contexts& into);

// A page of open pull requests of REPOSITORY (GitHub) / merge requests
// (GitLab) appended to INTO; an error when it is not the documented JSON.
// Entries that are not PRs (no number) are skipped.
std::optional<std::string> add_github_pulls(std::string_view page, const std::string& repository,
                                            std::vector<PullRequest>& into);
std::optional<std::string> add_gitlab_merge_requests(std::string_view page, std::vector<PullRequest>& into);

// Deployments' documented bodies, and the "id" of a created object (a
// positive integer, as text), empty when BODY has none.
std::string github_deployment_body(const Deployment& d);
std::string github_deployment_status_body(const Deployment& d, const char* state);
std::string gitlab_environment_body(const Deployment& d);
std::string created_id(std::string_view body);
// {"body": TEXT}: a comment's or a note's.
std::string comment_body(const std::string& text);
// What MADE (a POST creating an object) made, WHAT naming it in an error.
Created created(const HttpReply& made, const std::string& what);
// ID edited by EDIT, or (no ID yet, or it was deleted: 404) a new one made by MAKE.
Created edit_or_make(const std::string& id, const std::function<HttpReply()>& edit,
                     const std::function<HttpReply()>& make, const std::string& what);
// GitLab's GET .../environments?name=N: the id of the one named N.
std::string gitlab_environment_id(std::string_view body, const std::string& name);

// The documented request bodies.
std::string github_status_body(const StatusPost& post);
std::string gitlab_status_body(const StatusPost& post);
// DESCRIPTION cut to at most 140 bytes on a UTF-8 boundary, "..." marking the cut.
std::string short_description(const std::string& description);

}  // namespace cwf::forge
