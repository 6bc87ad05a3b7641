// The runner's notifications (issue 19): the store's hook that queues them
// with the job states causing them, and the notifier that sends them.
#include <cstdlib>

#include "runner/runner.hh"
#include "util/log.hh"

namespace cwf::runner {
namespace {

// The runner's environment is set before its threads start and never changed.
std::string runner_env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v ? std::string(v) : std::string();
}

}  // namespace

void Runner::start_notifications() {
  mask_notification_secrets();
  notify_sender_ = notify::make_http_sender(options_.notify.timeout);
  notifier_ = std::make_unique<notify::Notifier>(store_, *notify_sender_, options_.notify, runner_env);
  notify_hook_ = std::make_unique<notify::NotifyHook>([this] { return reconciler_.current(); }, options_.public_url,
                                                      options_.notify.masked, runner_env);
  notify_hook_->on_queued([n = notifier_.get()] { n->wake(); });
  store_.set_state_hook(notify_hook_.get());
  notifier_->start();
  try {
    if (auto pending = store_.notification_counts()["pending"]; pending > 0)
      log::info("resuming the notifications' queue", {{"pending", std::to_string(pending)}});
  } catch (const store::StoreError&) {
  }
}

// The hook stays: an end recorded later (an unrecorded one retried at the
// very end) still queues its notifications, for the next start to send.
void Runner::stop_notifications() {
  if (!notifier_) return;
  notifier_->flush(std::chrono::seconds(5));  // the last jobs' ends
  notifier_->stop(std::chrono::seconds(2));
}

void Runner::mask_notification_secrets() {
  std::vector<std::string> masked = options_.notify.masked;
  for (auto& v : notify::secret_values(*reconciler_.current(), runner_env)) masked.push_back(std::move(v));
  log::mask_secrets(masked);
}

std::vector<server::NotifyStats> Runner::notify_stats() const {
  std::vector<server::NotifyStats> out;
  if (!notifier_) return out;
  for (const auto& [kind, c] : notifier_->counts()) out.push_back({kind, c.delivered, c.retried, c.failed});
  return out;
}

}  // namespace cwf::runner
