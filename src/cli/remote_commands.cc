// trigger, cancel, rerun and promote: actions on a running runner, over its API.
#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "cli/api_client.hh"
#include "cli/commands.hh"
#include "cli/job_output.hh"

namespace cwf::cli {
namespace {

struct ServerFlags {
  std::string server, token_file;
  void add(CLI::App& app) {
    app.add_option("--server", server, "the runner's URL, e.g. http://127.0.0.1:8080")
        ->required()
        ->envname("CONVOX_WORKFLOWS_SERVER");
    app.add_option("--token-file", token_file, "the API token (default: CONVOX_WORKFLOWS_API_TOKEN)");
  }
};

// POSTs BODY to PATH and prints the job it answers with; the exit code.
int act(const char* command, const ServerFlags& flags, const std::string& path, const std::string& body) {
  auto client = ApiClient::connect(flags.server, flags.token_file);
  if (!client) {
    std::cerr << "convox-workflows " << command << ": " << client.error().message << "\n";
    return kExitUsage;
  }
  auto reply = (*client)->post(path, body);
  if (!reply) {
    std::cerr << "convox-workflows " << command << ": " << reply.error().message << "\n";
    return kExitFailure;
  }
  if (reply->status >= 300) {
    std::cerr << "convox-workflows " << command << ": " << error_of(*reply) << "\n";
    return kExitFailure;
  }
  auto job = job_from_json(reply->body);
  std::cout << "job " << job.id << " " << store::to_string(job.state) << ": " << job.workflow << " on "
            << job.commit_sha.substr(0, 12) << (job.branch.empty() ? "" : " (" + job.branch + ")")
            << (job.parent_job_id ? ", from job " + std::to_string(*job.parent_job_id) : "") << "\n";
  return kExitOk;
}

}  // namespace

int run_trigger(const Args& args) {
  CLI::App app("Run a workflow now, on a branch's head or a commit, on a running runner.", "convox-workflows trigger");
  ServerFlags flags;
  std::string workflow, branch, commit;
  app.add_option("workflow", workflow, "the workflow")->required();
  app.add_option("--branch", branch, "the branch whose head to run");
  app.add_option("--commit", commit, "the commit to run (40 hex digits)");
  flags.add(app);
  if (int rc = parse_args(app, args); rc >= 0) return rc;
  if (branch.empty() && commit.empty()) {
    std::cerr << "convox-workflows trigger: give --branch or --commit\n";
    return kExitUsage;
  }
  nlohmann::json body = nlohmann::json::object();
  if (!branch.empty()) body["branch"] = branch;
  if (!commit.empty()) body["commit"] = commit;
  return act("trigger", flags, "/api/workflows/" + workflow + "/trigger", body.dump());
}

// COMMAND JOB --server URL: POST /api/jobs/JOB/COMMAND.
int job_action(const Args& args, const std::string& command, const std::string& summary) {
  CLI::App app(summary, "convox-workflows " + command);
  ServerFlags flags;
  std::int64_t job = 0;
  app.add_option("job", job, "the job's id")->required();
  flags.add(app);
  if (int rc = parse_args(app, args); rc >= 0) return rc;
  return act(command.c_str(), flags, "/api/jobs/" + std::to_string(job) + "/" + command, "");
}

int run_cancel(const Args& args) {
  return job_action(args, "cancel", "Cancel a queued or running job on a running runner.");
}

int run_rerun(const Args& args) {
  return job_action(args, "rerun", "Run a job's workflow again on the same commit, as a new job.");
}

int run_promote(const Args& args) {
  CLI::App app("Promote the release a build task made (promote: false), as a new job.", "convox-workflows promote");
  ServerFlags flags;
  std::int64_t job = 0;
  int task = 0;
  app.add_option("job", job, "the job's id")->required();
  app.add_option("task", task, "the build task's index (0-based)")->required();
  flags.add(app);
  if (int rc = parse_args(app, args); rc >= 0) return rc;
  return act("promote", flags, "/api/jobs/" + std::to_string(job) + "/tasks/" + std::to_string(task) + "/promote", "");
}

}  // namespace cwf::cli
