#pragma once

// What a job's recorded state means for its notifications, without I/O:
// which event each target hears, the event's JSON (the webhook's body, and
// what the Slack message is made from), and targets as the queue keeps them.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/model.hh"
#include "store/job_store.hh"

namespace cwf::notify {

// A build (or copy) the job made and nothing promoted: a person's Promote.
struct Waiting {
  int task = 0;
  std::string name, app, release;
};

// JOB's builds and copies waiting for a promotion: succeeded with a release,
// not promoted by their own task (`promote: true` in WORKFLOW, the one the job
// ran, when it still has that task) nor by a later promote task of the job.
std::vector<Waiting> waiting_promote(const store::JobRecord& job, const config::Workflow* workflow);

// The one event TARGET hears of JOB's new state, if any: of those it listed,
// the most specific (recovered, then waiting_promote, then succeeded).
std::optional<config::NotifyEvent> event_for(const config::NotifyTarget& target, store::JobState state, bool recovered,
                                             bool waiting);

// The event's JSON: event, workflow, job {id, state, reason, url, trigger},
// repository, branch, pull_request, commit {sha, message, author}, tasks,
// started_at, finished_at (ISO 8601, UTC), recovered, waiting_promote.
nlohmann::ordered_json payload(config::NotifyEvent event, const store::JobRecord& job, bool recovered,
                               const std::vector<Waiting>& waiting, const std::string& public_url);

// A target as queued: which kind, where, and the NAMES of the variables
// holding its secrets.
struct Target {
  bool slack = false;
  std::string url, url_env, secret_env;
};
std::string to_json(const config::NotifyTarget& target);
std::optional<Target> parse_target(const std::string& json);
// For people (the API, the log): "slack ($SLACK_URL)", "webhook https://host/…".
std::string describe(const Target& target);

}  // namespace cwf::notify
