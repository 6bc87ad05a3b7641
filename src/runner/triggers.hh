#pragma once

// What a listing of a remote means: which branches moved, and which jobs the
// moves make. Pure functions; the runner does the I/O around them.

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/model.hh"
#include "forge/forge.hh"
#include "store/job_store.hh"
#include "watcher/remote_url.hh"

namespace cwf::runner {

using Heads = std::map<std::string, std::string>;  // branch -> sha

// New, moved and deleted branches between two listings, by branch name.
std::vector<store::HeadChange> head_changes(const Heads& known, const Heads& now);

// The files a change touched; nullopt when that cannot be told.
using ChangedFiles = std::function<std::optional<std::vector<std::string>>(const store::HeadChange&)>;

struct Triggered {
  std::vector<store::NewJob> jobs;
  // Workflows a push matched whose paths filter held it back: (workflow, change).
  std::vector<std::pair<std::string, store::HeadChange>> filtered;
};

// One job per workflow of CONFIG watching URL whose branch glob matches a
// new or moved branch (never a deleted one), unless its paths filter matches
// none of the changed files. Unknown changed files let the push through.
Triggered jobs_for(const config::Config& config, const watcher::Forges& forges, const std::string& url,
                   const std::vector<store::HeadChange>& changes, const ChangedFiles& changed_files);

// A pull request as the runner sees it: what the forge lists, at the commit
// the forge's ref for it (refs/pull/N/head) points to.
struct OpenPullRequest {
  forge::PullRequest pr;
  std::string sha;
};

struct PullRequestsTriggered {
  std::vector<store::NewJob> jobs;            // trigger "pull_request", PR number set
  std::vector<store::PullRequestHead> heads;  // what made each job, in the same order
  std::vector<std::string> held;              // why a PR did not run: "review: PR #7 is a draft ..."
};

// One job per workflow of CONFIG watching URL on pull requests, for each PR
// of OPEN whose base matches, whose head is not a fork's (unless forks:
// true: then the job is untrusted) nor a draft's (unless drafts: true), and
// whose (workflow, PR, head) is not in DONE.
PullRequestsTriggered pull_request_jobs_for(const config::Config& config, const watcher::Forges& forges,
                                            const std::string& url, const std::vector<OpenPullRequest>& open,
                                            const std::set<store::PullRequestHead>& done);

}  // namespace cwf::runner
