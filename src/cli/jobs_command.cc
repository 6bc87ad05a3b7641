#include <CLI/CLI.hpp>
#include <iostream>
#include <unistd.h>

#include "cli/commands.hh"
#include "cli/job_output.hh"

namespace cwf::cli {

int run_jobs(const Args& args) {
  CLI::App app("List jobs, newest first.", "convox-workflows jobs");
  std::string workflow, state, data_dir;
  int limit = 20;
  app.add_option("--workflow", workflow, "only this workflow's jobs");
  app.add_option("--state", state, "only jobs in this state (queued, running, succeeded, failed, ...)");
  app.add_option("--limit", limit, "at most this many (default 20)")->check(CLI::Range(1, 100000));
  app.add_option("--data-dir", data_dir, "where jobs are kept (default $XDG_STATE_HOME/convox-workflows)");
  if (int rc = parse_args(app, args); rc >= 0) return rc;
  store::JobFilter filter{workflow, std::nullopt, limit, std::nullopt};
  if (!state.empty()) {
    filter.state = store::parse_job_state(state);
    if (!filter.state) {
      std::cerr << "convox-workflows jobs: unknown state '" << state << "'\n";
      return kExitUsage;
    }
  }
  auto opened = store::JobStore::open(data_dir_or_default(data_dir), true);
  if (!opened) {
    std::cerr << "convox-workflows jobs: " << opened.error().message << "\n";
    return kExitFailure;
  }
  print_jobs_table(std::cout, (*opened)->list_jobs(filter), isatty(STDOUT_FILENO));
  return kExitOk;
}

}  // namespace cwf::cli
