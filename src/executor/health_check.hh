#pragma once

// After a promotion: poll the app's URL until it answers an expected status.

#include <chrono>
#include <functional>
#include <string>

#include "config/model.hh"
#include "executor/cancel.hh"

namespace cwf::executor {

struct HealthResult {
  bool healthy = false;
  std::string detail;  // the last answer, or why none came
};

// Polls until healthy, TIMEOUT (the check's own, or less when the task has
// less time left), or a cancel. NOTE receives one line per change of answer.
HealthResult wait_healthy(const config::HealthCheck& check, std::chrono::milliseconds timeout,
                          const CancelToken& cancel, const std::function<void(const std::string&)>& note);

}  // namespace cwf::executor
