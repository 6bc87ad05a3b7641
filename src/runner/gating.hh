#pragma once

// The commit-status gate's rules, as a pure function: given what the forge
// said of a job's commit and how long the job has waited, run it, skip it, or
// look again later.

#include <chrono>
#include <string>

#include "forge/forge.hh"

namespace cwf::runner {

struct GateOptions {
  std::chrono::milliseconds status_timeout{std::chrono::hours(1)};  // pending (or unreadable) this long: skipped
  std::chrono::milliseconds status_grace{std::chrono::seconds(30)};  // no status at all this long: run
  std::chrono::milliseconds first_backoff{std::chrono::seconds(1)}, max_backoff{std::chrono::seconds(30)};
};

struct GateDecision {
  enum class Action { run, skip, wait };
  Action action = Action::wait;
  std::string reason;  // skip and wait: for the job's reason; run: why, when not plain success
  std::chrono::milliseconds next_check{0};  // wait: when to look again (a webhook may come sooner)
};

// READ: the forge's answer for the job's commit; WAITED: since the job was
// made; CHECKS: how many readings so far, this one included.
GateDecision decide(const forge::StatusRead& read, std::chrono::milliseconds waited, int checks,
                    const GateOptions& options);

}  // namespace cwf::runner
