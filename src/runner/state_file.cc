// <data-dir>/state.json: what the runner is doing, for `convox-workflows
// status` and for people, rewritten (atomically) when it changes.
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "config/names.hh"
#include "runner/runner.hh"
#include "server/api_json.hh"
#include "util/atomic_file.hh"
#include "util/log.hh"

namespace cwf::runner {

void Runner::write_state(bool force) {
  auto c = reconciler_.status();
  nlohmann::ordered_json j;
  j["pid"] = static_cast<long>(::getpid());
  j["listen"] = listening_;
  j["warnings"] = warnings_;
  j["config"] = server::config_json(c);  // the same shape as GET /api/config
  j["jobs"] = {{"running", jobs_running()}, {"queued", jobs_queued()}, {"waiting", jobs_waiting()}};
  auto remotes = nlohmann::ordered_json::array();
  if (poller_) {
    for (const auto& r : poller_->status())
      remotes.push_back({{"url", config::redact_url(r.url)},
                         {"polls", r.polls},
                         {"failures", r.failures},
                         {"last_error", r.last_error},
                         {"last_poll_at", r.last_poll_at},
                         {"last_ok_at", r.last_ok_at},
                         {"last_duration_ms", r.last_duration_ms},
                         {"next_poll_at", r.next_poll_at}});
  }
  j["remotes"] = std::move(remotes);
  j["stalled"] = stalls();
  try {
    auto counts = store_.notification_counts();
    j["notifications"] = {{"pending", counts["pending"]}, {"delivered", counts["delivered"]}, {"failed", counts["failed"]}};
    store::NotificationFilter failed{"failed", 1, std::nullopt};
    if (auto last = store_.list_notifications(failed); !last.empty())
      j["notifications"]["last_failed"] = server::notification_json(last[0]);
  } catch (const store::StoreError&) {
    // The store's error shows in its own place; the state file still goes out.
  }
  // `status` tells a stuck runner by this going stale. In steps of 5 s, so an
  // idle runner rewrites the file (and syncs it) that often at most.
  j["heartbeat_at"] = store::now_ms() / 5000 * 5000;
  std::string text = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard lock(state_mu_);  // the main loop and the pollers both write it
  if (!force && text == last_state_) return;
  // Whole or not at all: on a full disk `status` keeps reading the last good state.
  if (auto written = write_file_atomically(options_.data_dir / "state.json", text); !written) {
    log::warn("cannot write the state file; the last one is kept", {{"error", written.error().message}});
    return;
  }
  last_state_ = std::move(text);
}

}  // namespace cwf::runner
