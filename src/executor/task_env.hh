#pragma once

// What a task's process receives, decided in one place (docs/executor.md,
// "Environment"). Code in a pushed commit runs in `script` tasks, so those
// get only a minimal environment and what the reviewed workflows file lists
// for them; the convox CLI's tasks get what the CLI reads; no task gets the
// runner's own secrets or settings.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/model.hh"
#include "util/result.hh"

namespace cwf::executor {

using EnvMap = std::map<std::string, std::string>;

// NAME=VALUE entries as a map, the runner's own (config::runner_own_variable) left out.
EnvMap environment_for_tasks(const std::vector<std::string>& env);

// TASK's environment: from RUNNER (the runner's environment) what the task
// may have, then JOB (CONVOX_JOB_ID, GIT_BRANCH, ...: these win). An error
// names a listed secret that RUNNER doesn't have.
Result<std::vector<std::string>> task_environment(const config::Task& task, const EnvMap& runner, const EnvMap& job);

}  // namespace cwf::executor
