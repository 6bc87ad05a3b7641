#pragma once

// Starting a task's process. TaskLauncher is the seam where a backend that
// runs tasks elsewhere (Kubernetes Jobs) can slot in: the executor only
// needs an output fd, an exit fd to poll, and a way to signal the task.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/result.hh"

namespace cwf::executor {

// A script task in a container image (--task-backend podman or kubernetes): ARGV runs in
// IMAGE with WORKSPACE (the job's checkout) mounted at /workspace, in its
// subdirectory of the task's cwd.
struct ContainerSpec {
  std::string image, cpu, memory;  // cpu, memory: as the workflows file has them; empty: no limit
  std::filesystem::path workspace;
  std::int64_t job = 0;
  int task = 0;
  std::chrono::milliseconds timeout{0};  // the task's (Kubernetes' activeDeadlineSeconds is a backstop)
};

struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] without '/' is looked up on PATH
  std::vector<std::string> env;   // "NAME=value", the whole environment
  std::filesystem::path cwd;
  std::optional<ContainerSpec> container;  // empty: a process here
};

struct ExitStatus {
  std::optional<int> code;    // exited normally
  std::optional<int> signal;  // killed by a signal
  // Of a pipeline: which command the status is of. The first one that
  // failed, unless SIGPIPE killed it (a later one ended early); the last
  // one when none failed.
  std::size_t stage = 0;
  bool success() const { return code && *code == 0; }
};

class TaskProcess {
 public:
  virtual ~TaskProcess() = default;
  virtual int output_fd() const = 0;  // stdout and stderr, interleaved; -1 once closed
  virtual int exit_fd() const = 0;    // readable once the process exited
  virtual void close_output() = 0;
  virtual std::optional<ExitStatus> try_wait() = 0;
  // Signals the task and everything it started.
  virtual void signal_all(int sig) = 0;
  // Whether anything the task started is still alive (after it exited).
  virtual bool group_alive() const = 0;
};

class TaskLauncher {
 public:
  virtual ~TaskLauncher() = default;
  virtual Result<std::unique_ptr<TaskProcess>> start(const ProcessSpec& spec) = 0;
  // Each stage's stdout feeds the next one's stdin; the last stage's stdout
  // and every stage's stderr are the output. One process group, one task.
  virtual Result<std::unique_ptr<TaskProcess>> start_pipeline(const std::vector<ProcessSpec>& stages) {
    if (stages.size() == 1) return start(stages.front());
    return make_error("this launcher cannot run a pipeline");
  }
  // What a runner that died left running (containers, Jobs): removed.
  // Returns the jobs they were of, which the runner marks interrupted.
  virtual Result<std::vector<std::int64_t>> remove_leftovers() { return std::vector<std::int64_t>{}; }
};

// Local processes: posix_spawn (fork from a large parent costs ~10x more),
// each task in its own process group, stdin /dev/null.
class LocalLauncher : public TaskLauncher {
 public:
  Result<std::unique_ptr<TaskProcess>> start(const ProcessSpec& spec) override;
  Result<std::unique_ptr<TaskProcess>> start_pipeline(const std::vector<ProcessSpec>& stages) override;
};

}  // namespace cwf::executor
