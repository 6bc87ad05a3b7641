#pragma once

// How jobs look on a terminal: states in colour (on a TTY), durations, the
// summary that ends `exec`, and the `jobs` table.

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "store/job_store.hh"

namespace cwf::cli {

// A table's column WIDTH wide; a longer value keeps one space before the next.
std::string pad(std::string s, std::size_t width);

// A job's branch, or for a pull request's job its number: "PR#7" (GitLab too).
std::string branch_or_pr(const store::JobRecord& job);

std::string format_duration_ms(std::optional<std::int64_t> from, std::optional<std::int64_t> to);
// The state word, coloured when COLOR: green done, red failed, amber in
// progress, grey skipped or cancelled.
std::string colored(const std::string& state, bool color);

void print_job_summary(std::ostream& out, const store::JobRecord& job, bool color);
void print_jobs_table(std::ostream& out, const std::vector<store::JobRecord>& jobs, bool color);

}  // namespace cwf::cli
