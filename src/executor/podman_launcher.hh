#pragma once

// --task-backend podman: script tasks with an image run in a container
// (`podman run --rm`), every other process as a local one. The container's
// output is podman's, so it streams like a process's; its exit code is
// podman run's (125-127: podman's own failures, e.g. no such image).

#include <filesystem>
#include <string>
#include <vector>

#include "executor/process.hh"

namespace cwf::executor {

struct PodmanOptions {
  std::string podman_bin = "podman";
  // podman runs with the runner's own environment (CONTAINERS_CONF,
  // CONTAINERS_STORAGE_CONF, XDG_RUNTIME_DIR ... apply), never the task's.
  std::vector<std::string> podman_env;
  std::filesystem::path env_dir;  // the tasks' env files (mode 0600, removed after)
  std::string runner_id;          // label cwf.runner: this runner's containers, no other's
};

// The label value of the containers (and Kubernetes Jobs) of the runner
// keeping its data in DATA_DIR: a hash of its path, so two runners on one
// host (or in one namespace) never touch each other's.
std::string runner_id(const std::filesystem::path& data_dir);

// The options for a runner (or exec) keeping its data in DATA_DIR: its env
// files there, and its containers labelled with a hash of its path (two
// runners on one host never touch each other's).
PodmanOptions podman_options(const std::string& podman_bin, const std::filesystem::path& data_dir,
                             std::vector<std::string> runner_env);

class PodmanLauncher : public TaskLauncher {
 public:
  explicit PodmanLauncher(PodmanOptions options);
  Result<std::unique_ptr<TaskProcess>> start(const ProcessSpec& spec) override;
  Result<std::unique_ptr<TaskProcess>> start_pipeline(const std::vector<ProcessSpec>& stages) override;

  // What a runner that died left behind: its containers (removed) and env
  // files (deleted). Returns the jobs those containers ran, as labelled.
  Result<std::vector<std::int64_t>> remove_leftovers() override;

  // The `podman run` arguments for SPEC, with its container NAME and ENV_FILE
  // (what goes in neither is passed by name from podman's environment: see
  // container_env). Exposed for tests.
  std::vector<std::string> run_argv(const ProcessSpec& spec, const std::string& name,
                                    const std::filesystem::path& env_file, const std::vector<std::string>& by_name) const;

 private:
  PodmanOptions options_;
  LocalLauncher local_;
};

// SPEC's variables a container gets: the runner host's own (PATH, HOME, USER,
// LOGNAME, TMPDIR) are the image's business. Those with a newline in their
// value can't be in an env file; BY_NAME gets them.
std::vector<std::string> container_env(const std::vector<std::string>& env, std::vector<std::string>& by_name);

// podman's --memory for a Kubernetes-style amount ("512Mi" -> "512m", "2Gi" -> "2g").
std::string podman_memory(const std::string& amount);
// podman's --cpus for one ("500m" -> "0.5").
std::string podman_cpus(const std::string& amount);

}  // namespace cwf::executor
