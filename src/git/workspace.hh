#pragma once

// A job's workspace: a checkout of one commit, with its .git, so tools in it
// (the convox CLI) see the commit as they would in a developer's clone.

#include <filesystem>
#include <string>

#include "util/result.hh"

namespace cwf::git {

struct ResolvedCommit {
  std::string sha;     // full
  std::string branch;  // the branch REV names or HEAD is on; empty when detached
  std::string workdir;  // the repository's working tree (empty when bare)
};

// Resolves REV ("HEAD", a branch, a SHA) in the repository containing DIR.
Result<ResolvedCommit> resolve_commit(const std::string& dir, const std::string& rev);

// Checks SHA of the repository containing SOURCE out into DEST (which must
// not exist), on a detached HEAD. Objects are borrowed from SOURCE through
// git's alternates, so nothing is copied but the files of that commit.
Result<std::string> checkout_workspace(const std::string& source, const std::string& sha,
                                       const std::filesystem::path& dest);

}  // namespace cwf::git
