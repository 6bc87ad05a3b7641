#pragma once

// What the HTTP server reads from (and asks of) the runner it serves.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runner/reconciler.hh"
#include "server/webhook.hh"
#include "store/job_store.hh"
#include "watcher/poller.hh"

namespace cwf::server {

// What an action asked over HTTP came to: the HTTP status, the job it made or
// touched, or why not.
struct ActionResult {
  int status = 200;
  std::string error;
  std::optional<store::JobRecord> job;
};

// Delivery attempts of notifications since the runner started, by kind.
struct NotifyStats {
  std::string kind;  // slack, webhook
  std::uint64_t delivered = 0, retried = 0, failed = 0;
};

// A forge's API as the runner used it, for /metrics.
struct ForgeStats {
  std::string forge;                               // github, gitlab
  std::map<std::string, std::uint64_t> replies;    // by class: 2xx, 4xx, 5xx, 429, none, limited
  bool up = true;                                  // the last request got an answer that was not 5xx
  std::uint64_t posted = 0, retried = 0, dropped = 0;  // commit statuses
};

class RunnerView {
 public:
  virtual ~RunnerView() = default;
  virtual runner::ConfigStatus config_status() const = 0;
  virtual runner::ConfigPtr config() const = 0;
  virtual std::vector<watcher::RemoteStatus> remotes() const = 0;
  virtual std::string remote_of(const config::Trigger& trigger) const = 0;
  virtual std::size_t jobs_running() const = 0;
  virtual std::size_t jobs_queued() const = 0;
  virtual std::size_t jobs_waiting() const = 0;  // held by the commit-status gate
  virtual std::vector<ForgeStats> forge_stats() const = 0;
  virtual std::vector<NotifyStats> notify_stats() const { return {}; }
  // A notification was queued again (POST /api/notifications/{id}/retry): send it now.
  virtual void wake_notifier() {}
  // What is stuck (runner/watchdog.hh); /readyz fails while this isn't empty.
  virtual std::vector<std::string> stalls() const { return {}; }
  // Lists now every watched remote the push names; returns how many.
  virtual int poll_for_push(Forge forge, const PushHint& hint) = 0;
  // Reads now the statuses of the commit a status webhook names; returns how
  // many waiting jobs that concerns.
  virtual int recheck_status(Forge forge, const StatusHint& hint) = 0;
  // A job of workflow NAME on BRANCH's head, or on COMMIT (as BRANCH, if given).
  virtual ActionResult trigger(const std::string& name, const std::string& branch, const std::string& commit) = 0;
  virtual ActionResult cancel(std::int64_t job) = 0;
  // The same workflow on the same commit, as a new job linked to the old.
  virtual ActionResult rerun(std::int64_t job) = 0;
  // The release that build task TASK of JOB made (with promote: false),
  // promoted like an automatic promotion, as a new job linked to JOB.
  virtual ActionResult promote(std::int64_t job, int task) = 0;
};

}  // namespace cwf::server
