#pragma once

// The comment the runner keeps on a pull request of the config repository
// that changes the workflows file: the plan against the base branch's file,
// or the head's errors with FILE:LINE:COL. Pure: the runner posts it.

#include <string>

#include "config/loader.hh"

namespace cwf::runner {

struct PlanSides {
  std::string path;                  // the workflows file's path in the repository
  std::string head_sha, base_branch, base_sha;
  const config::LoadResult* head = nullptr;  // null: the head has no workflows file
  const config::LoadResult* base = nullptr;  // null: the base has none (or an invalid one)
};

// Markdown. Text from the pull request (names, commands, messages) only ever
// sits inside a code fence longer than any run of backticks in it, and the
// whole stays within the forges' comment limits.
std::string plan_comment(const PlanSides& sides);
// When the PR no longer changes the file.
std::string unchanged_comment(const std::string& path, const std::string& head_sha);

}  // namespace cwf::runner
