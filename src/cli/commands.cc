#include "cli/commands.hh"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "config/names.hh"
#include "store/job_store.hh"

namespace cwf::cli {
namespace {

void print_usage(std::FILE* out) {
  std::fprintf(out,
               "usage: convox-workflows COMMAND [ARGS...]\n\n"
               "Runs Convox workflows from a .convox-workflows.yml file.\n\ncommands:\n");
  for (const auto& c : commands()) std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
  std::fprintf(out, "\nRun 'convox-workflows COMMAND --help' for a command's flags.\n");
}

}  // namespace

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"validate", "check workflows files and report every error with its line and column", run_validate},
      {"plan", "show what changes between two workflows files or two revisions", run_plan},
      {"run", "watch the workflows' repositories and run a job for every push", run_run},
      {"status", "show what a runner is doing: its workflows file, remotes and jobs", run_status},
      {"exec", "run a workflow once, here, on a commit of a local repository", run_exec},
      {"jobs", "list jobs, newest first", run_jobs},
      {"logs", "print a job's log, or follow it", run_logs},
      {"review-apps", "list the review apps made for pull requests", run_review_apps},
      {"notifications", "list notifications of jobs' events and their delivery; --retry a given-up one", run_notifications},
      {"trigger", "run a workflow now on a running runner (--server)", run_trigger},
      {"cancel", "cancel a job on a running runner (--server)", run_cancel},
      {"rerun", "run a job's workflow again on its commit (--server)", run_rerun},
      {"promote", "promote the release a build task made (--server)", run_promote},
      {"healthcheck", "exit 0 when the runner here answers /healthz (a container's HEALTHCHECK)", run_healthcheck},
      {"version", "print the version and the libraries it was built with", run_version},
  };
  return table;
}

std::filesystem::path data_dir_or_default(const std::string& flag) {
  return flag.empty() ? store::default_data_dir() : std::filesystem::path(flag);
}

int parse_args(CLI::App& app, const Args& args) {
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    std::cerr << app.get_name() << ": " << e.what() << "\nRun '" << app.get_name()
              << " --help' for usage.\n";
    return kExitUsage;
  }
  return -1;
}

int main(int argc, char** argv) {
  // A file-size limit is a full disk by another name: a write fails with
  // EFBIG and is handled like ENOSPC, instead of killing the process.
  ::signal(SIGXFSZ, SIG_IGN);
  Args args(argv + std::min(argc, 1), argv + argc);
  if (args.empty()) {
    print_usage(stderr);
    return kExitUsage;
  }
  const std::string name = args.front();
  if (name == "--help" || name == "-h" || name == "help") {
    print_usage(stdout);
    return kExitOk;
  }
  if (name == "--version") return run_version({});
  const auto& table = commands();
  auto it = std::find_if(table.begin(), table.end(), [&](const Command& c) { return name == c.name; });
  if (it == table.end()) {
    std::vector<std::string> names;
    for (const auto& c : table) names.emplace_back(c.name);
    std::cerr << "convox-workflows: unknown command '" << name << "'";
    if (auto near = config::closest_match(name, names)) std::cerr << "; did you mean '" << *near << "'?";
    std::cerr << "\nRun 'convox-workflows --help' for the list of commands.\n";
    return kExitUsage;
  }
  try {
    return it->run(Args(args.begin() + 1, args.end()));
  } catch (const std::exception& e) {
    std::cerr << "convox-workflows " << name << ": fatal: " << e.what() << "\n";
    return kExitUsage;
  }
}

}  // namespace cwf::cli
