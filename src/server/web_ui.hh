#pragma once

// The web UI: server-rendered HTML, no JavaScript needed. The jobs list (red,
// green, grey, amber), the config state and workflows, and a job's page with
// its tasks and log (refreshing itself while the job runs).

#include <optional>
#include <string>
#include <vector>

#include "runner/reconciler.hh"
#include "store/job_store.hh"

namespace cwf::server {

std::string html_escape(std::string_view text);
std::string render_index(const runner::ConfigStatus& status, const config::Config& config,
                         const std::vector<store::JobRecord>& jobs, std::optional<std::int64_t> older);
// LOG: the job's log, or its end when long (TRUNCATED bytes left out before it).
std::string render_job(const store::JobRecord& job, const std::string& log, std::uint64_t truncated);

}  // namespace cwf::server
