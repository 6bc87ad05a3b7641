#pragma once

// Starting a task's process. TaskLauncher is the seam where a backend that
// runs tasks elsewhere (Kubernetes Jobs) can slot in: the executor only
// needs an output fd, an exit fd to poll, and a way to signal the task.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/result.hh"

namespace cwf::executor {

struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] without '/' is looked up on PATH
  std::vector<std::string> env;   // "NAME=value", the whole environment
  std::filesystem::path cwd;
};

struct ExitStatus {
  std::optional<int> code;    // exited normally
  std::optional<int> signal;  // killed by a signal
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
};

// Local processes: posix_spawn (fork from a large parent costs ~10x more),
// each task in its own process group, stdin /dev/null.
class LocalLauncher : public TaskLauncher {
 public:
  Result<std::unique_ptr<TaskProcess>> start(const ProcessSpec& spec) override;
};

}  // namespace cwf::executor
