#pragma once

// What a listing of a remote means: which branches moved, and which jobs the
// moves make. Pure functions; the runner does the I/O around them.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/model.hh"
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

}  // namespace cwf::runner
