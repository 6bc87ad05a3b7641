#pragma once

// The subcommand table and the one place that turns a command's outcome
// (or an unexpected exception) into the process exit code.

#include <filesystem>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace cwf::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // invalid input, failed job, changes found
inline constexpr int kExitUsage = 2;    // bad flags, unreadable files

using Args = std::vector<std::string>;

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const Args& args);
};

const std::vector<Command>& commands();
int main(int argc, char** argv);

// Parses ARGS into APP. Returns -1 to go on, else the exit code to return
// (0 after --help, kExitUsage after a usage error, both already printed).
int parse_args(CLI::App& app, const Args& args);

// --data-dir's value, or the default ($XDG_STATE_HOME/convox-workflows).
std::filesystem::path data_dir_or_default(const std::string& flag);

int run_validate(const Args& args);
int run_exec(const Args& args);
int run_review_apps(const Args& args);
int run_notifications(const Args& args);
int run_run(const Args& args);
int run_trigger(const Args& args);
int run_cancel(const Args& args);
int run_rerun(const Args& args);
int run_promote(const Args& args);
int run_status(const Args& args);
int run_jobs(const Args& args);
int run_logs(const Args& args);
int run_plan(const Args& args);
int run_version(const Args& args);
int run_healthcheck(const Args& args);

}  // namespace cwf::cli
