#pragma once

// Runs one process to its end: output to a callback as it arrives, a
// deadline, cancellation, and nothing it started left alive afterwards.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "executor/cancel.hh"
#include "executor/process.hh"

namespace cwf::executor {

struct RunOutcome {
  std::optional<std::string> start_error;  // it never ran
  ExitStatus status;
  bool timed_out = false;
  bool cancelled = false;
};

using Clock = std::chrono::steady_clock;

// On the deadline or a cancel, the whole process group gets SIGTERM, then
// SIGKILL after GRACE. After the process exits, what it left running gets the same.
// STAGES: one process, or a pipeline (TaskLauncher::start_pipeline).
RunOutcome run_process(TaskLauncher& launcher, const std::vector<ProcessSpec>& stages, Clock::time_point deadline,
                       std::chrono::milliseconds grace, const CancelToken& cancel,
                       const std::function<void(std::string_view)>& on_output);

}  // namespace cwf::executor
