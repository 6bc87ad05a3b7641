#include <CLI/CLI.hpp>
#include <iostream>
#include <unistd.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "cli/api_client.hh"
#include "cli/commands.hh"
#include "cli/job_output.hh"

namespace cwf::cli {
namespace {

int print_remote_jobs(const std::string& server, const std::string& token_file, const std::string& workflow,
                      const std::string& state, int limit) {
  auto client = ApiClient::connect(server, token_file);
  if (!client) {
    std::cerr << "convox-workflows jobs: " << client.error().message << "\n";
    return kExitUsage;
  }
  std::string path = "/api/jobs?limit=" + std::to_string(std::min(limit, 1000));
  if (!workflow.empty()) path += "&workflow=" + httplib::detail::encode_query_param(workflow);
  if (!state.empty()) path += "&state=" + httplib::detail::encode_query_param(state);
  auto reply = (*client)->get(path);
  if (!reply || reply->status != 200) {
    std::cerr << "convox-workflows jobs: " << (reply ? error_of(*reply) : reply.error().message) << "\n";
    return kExitFailure;
  }
  std::vector<store::JobRecord> jobs;
  auto page = nlohmann::json::parse(reply->body, nullptr, false);
  if (page.is_object() && page["jobs"].is_array())
    for (const auto& j : page["jobs"]) jobs.push_back(job_from_json(j.dump()));
  print_jobs_table(std::cout, jobs, isatty(STDOUT_FILENO));
  return kExitOk;
}

}  // namespace

int run_jobs(const Args& args) {
  CLI::App app("List jobs, newest first.", "convox-workflows jobs");
  std::string workflow, state, data_dir;
  int limit = 20;
  app.add_option("--workflow", workflow, "only this workflow's jobs");
  app.add_option("--state", state, "only jobs in this state (queued, running, succeeded, failed, ...)");
  app.add_option("--limit", limit, "at most this many (default 20)")->check(CLI::Range(1, 100000));
  app.add_option("--data-dir", data_dir, "where jobs are kept (default $XDG_STATE_HOME/convox-workflows)");
  std::string server, token_file;
  app.add_option("--server", server, "ask a running runner's API instead (http://host:port)");
  app.add_option("--token-file", token_file, "the API token, if the runner wants one");
  if (int rc = parse_args(app, args); rc >= 0) return rc;
  if (!server.empty()) return print_remote_jobs(server, token_file, workflow, state, limit);
  store::JobFilter filter;
  filter.workflow = workflow;
  filter.limit = limit;
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
