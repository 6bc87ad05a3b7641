#include "runner/gating.hh"

#include <algorithm>

#include "config/duration.hh"

namespace cwf::runner {
namespace {

using std::chrono::milliseconds;

std::string human(milliseconds d) {
  return config::format_duration(std::chrono::duration_cast<config::Seconds>(d));
}

}  // namespace

GateDecision decide(const forge::StatusRead& read, milliseconds waited, int checks, const GateOptions& o) {
  using Action = GateDecision::Action;
  GateDecision d;
  const auto& c = read.contexts;
  forge::Verdict v = read.ok() ? forge::verdict(c) : forge::Verdict::pending;
  if (read.ok() && v == forge::Verdict::failure) {
    d.action = Action::skip;
    d.reason = "the commit's status is failing: " + forge::join_some(c.failing);
    return d;
  }
  if (read.ok() && v == forge::Verdict::success) {
    d.action = Action::run;
    return d;
  }
  if (read.ok() && v == forge::Verdict::none && waited >= o.status_grace) {
    d.action = Action::run;
    d.reason = "no commit status or check run appeared within --status-grace (" + human(o.status_grace) + ")";
    return d;
  }
  if (waited >= o.status_timeout) {
    d.action = Action::skip;
    d.reason = read.ok() ? "the commit's status was still pending after --status-timeout (" + human(o.status_timeout) +
                               "): " + forge::join_some(c.pending)
                         : "the commit's status could not be read for --status-timeout (" + human(o.status_timeout) +
                               "): " + read.error;
    return d;
  }
  int doublings = std::clamp(checks - 1, 0, 20);
  milliseconds next = std::min(o.max_backoff, milliseconds(o.first_backoff.count() << doublings));
  if (!read.ok()) {
    d.reason = "cannot read the commit's status (retrying): " + read.error;
    next = std::max(next, read.retry_after);  // what the forge asked for, even past the cap
  } else if (v == forge::Verdict::none) {
    d.reason = "no commit status yet; waiting up to " + human(o.status_grace) + " for one to appear";
    next = std::min(next, o.status_grace - waited);
  } else {
    d.reason = "waiting for the commit's status: " + forge::join_some(c.pending);
  }
  d.next_check = std::max(milliseconds(1), std::min(next, o.status_timeout - waited));
  return d;
}

}  // namespace cwf::runner
