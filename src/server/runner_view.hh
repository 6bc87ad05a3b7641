#pragma once

// What the HTTP server reads from (and asks of) the runner it serves.

#include <cstddef>
#include <vector>

#include "runner/reconciler.hh"
#include "server/webhook.hh"
#include "watcher/poller.hh"

namespace cwf::server {

class RunnerView {
 public:
  virtual ~RunnerView() = default;
  virtual runner::ConfigStatus config_status() const = 0;
  virtual runner::ConfigPtr config() const = 0;
  virtual std::vector<watcher::RemoteStatus> remotes() const = 0;
  virtual std::string remote_of(const config::Trigger& trigger) const = 0;
  virtual std::size_t jobs_running() const = 0;
  virtual std::size_t jobs_queued() const = 0;
  // Lists now every watched remote the push names; returns how many.
  virtual int poll_for_push(Forge forge, const PushHint& hint) = 0;
};

}  // namespace cwf::server
