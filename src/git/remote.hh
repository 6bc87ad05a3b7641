#pragma once

// Talking to remotes (libgit2): list their branches without moving objects,
// fetch the branches that moved into a bare mirror, and tell which files a
// push changed. Credentials never appear in errors.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/result.hh"

namespace cwf::git {

struct Credentials {
  std::string username;  // with TOKEN over https (GitHub: x-access-token, GitLab: oauth2)
  std::string token;
  std::string ssh_key;  // a private key file for ssh://; its public key beside it as .pub, if any
  std::string ssh_known_hosts;  // the host keys trusted for ssh://; empty: ~/.ssh/known_hosts
};

struct BranchHead {
  std::string branch;  // without refs/heads/
  std::string sha;
};

// A remote's branches and the heads of the pull requests it publishes:
// GitHub's refs/pull/N/head and GitLab's refs/merge-requests/N/head.
struct RemoteRefs {
  std::vector<BranchHead> branches;
  std::map<int, std::string> pull_requests;  // number -> sha
};

// Every network connection libgit2 opens from now on gives up after TIMEOUT
// without progress, or as soon as *ABORT is true.
void install_network_timeouts(std::chrono::milliseconds timeout, const std::atomic<bool>* abort);

// The branches of URL, like `git ls-remote --heads URL`.
Result<std::vector<BranchHead>> list_branches(const std::string& url, const Credentials& creds);
// The branches and pull request heads of URL, in one listing.
Result<RemoteRefs> list_refs(const std::string& url, const Credentials& creds);
// The ref a forge publishes PR NUMBER's head at.
std::string pull_request_ref(int number, bool gitlab);

// Fetches BRANCHES of URL into the bare repository MIRROR (made when missing),
// each to refs/heads/<branch>.
std::optional<Error> fetch_branches(const std::filesystem::path& mirror, const std::string& url,
                                    const std::vector<std::string>& branches, const Credentials& creds);
// Fetches REFS (full names: refs/pull/7/head) of URL into MIRROR, each to the same name.
std::optional<Error> fetch_refs(const std::filesystem::path& mirror, const std::string& url,
                                const std::vector<std::string>& refs, const Credentials& creds);

// A commit as a jobs list shows it: its message's first line and its
// author's name, each valid UTF-8 without control characters and cut short
// (TITLE 200 bytes, AUTHOR 100): they are the pusher's text.
struct CommitSummary {
  std::string title, author;
};
Result<CommitSummary> commit_summary(const std::string& repo, const std::string& sha);

// Whether the repository at REPO has commit SHA (a full hex id).
bool has_commit(const std::string& repo, const std::string& sha);

// The paths that differ between commits OLD and NEW of the repository at
// REPO. With OLD empty or no longer there: NEW against its first parent (all
// of NEW's files for a root commit).
Result<std::vector<std::string>> changed_files(const std::string& repo, const std::string& old_sha,
                                               const std::string& new_sha);

}  // namespace cwf::git
